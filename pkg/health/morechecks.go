package health

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// moreChecks holds the checks of further operators.
var moreChecks = map[schema.GroupKind]check{}
