// Package applicationset holds the REST storage of capstan.dev ApplicationSets.
package applicationset

import (
	"k8s.io/apimachinery/pkg/runtime"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
	"capstan.dev/capstan/pkg/registry/capstan/specstatus"
)

// kind describes ApplicationSets: users own spec, the controller owns status.
var kind = specstatus.Kind[*capstan.ApplicationSet]{
	Namespaced:           true,
	ClearStatus:          func(a *capstan.ApplicationSet) { a.Status = capstan.ApplicationSetStatus{} },
	KeepStatus:           func(a, old *capstan.ApplicationSet) { a.Status = old.Status },
	KeepSpec:             func(a, old *capstan.ApplicationSet) { a.Spec = old.Spec },
	SpecEqual:            func(a, b *capstan.ApplicationSet) bool { return specstatus.SemanticEqual(a.Spec, b.Spec) },
	Validate:             validation.ValidateApplicationSet,
	ValidateUpdate:       validation.ValidateApplicationSetUpdate,
	ValidateStatusUpdate: validation.ValidateApplicationSetStatusUpdate,
}

// NewStrategy returns the strategy of the main applicationsets endpoint.
func NewStrategy(typer runtime.ObjectTyper) specstatus.Strategy[*capstan.ApplicationSet] {
	return specstatus.NewStrategy(typer, kind)
}

// NewStatusStrategy returns the strategy of the applicationsets/status endpoint.
func NewStatusStrategy(strategy specstatus.Strategy[*capstan.ApplicationSet]) specstatus.StatusStrategy[*capstan.ApplicationSet] {
	return specstatus.NewStatusStrategy(strategy)
}
