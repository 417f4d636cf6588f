package v1alpha1

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
)

// ApplicationSelectableFields lists the field selectors an Application list or
// watch accepts beyond metadata.name and metadata.namespace.
var ApplicationSelectableFields = []string{
	"spec.project",
	"spec.destination.server",
	"spec.destination.name",
	"spec.destination.namespace",
	"status.sync.status",
	"status.health.status",
}

func addFieldLabelConversionFuncs(scheme *runtime.Scheme) error {
	return scheme.AddFieldLabelConversionFunc(SchemeGroupVersion.WithKind("Application"),
		func(label, value string) (string, string, error) {
			switch label {
			case "metadata.name", "metadata.namespace":
				return label, value, nil
			}
			for _, field := range ApplicationSelectableFields {
				if label == field {
					return label, value, nil
				}
			}
			return "", "", fmt.Errorf("field label not supported: %s", label)
		})
}
