// Package appproject holds the REST storage of capstan.dev AppProjects.
package appproject

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
	"capstan.dev/capstan/pkg/registry/capstan/specstatus"
)

// kind describes the cluster-scoped AppProjects: users own spec, the server
// owns status.
var kind = specstatus.Kind[*capstan.AppProject]{
	Namespaced:     false,
	ClearStatus:    func(p *capstan.AppProject) { p.Status = capstan.AppProjectStatus{} },
	KeepStatus:     func(p, old *capstan.AppProject) { p.Status = old.Status },
	KeepSpec:       func(p, old *capstan.AppProject) { p.Spec = old.Spec },
	SpecEqual:      func(a, b *capstan.AppProject) bool { return specstatus.SemanticEqual(a.Spec, b.Spec) },
	Validate:       validation.ValidateAppProject,
	ValidateUpdate: validation.ValidateAppProjectUpdate,
	ValidateStatusUpdate: func(p, old *capstan.AppProject) field.ErrorList {
		return validation.ValidateObjectMetaUpdate(p, old)
	},
}

// NewStrategy returns the strategy of the main appprojects endpoint.
func NewStrategy(typer runtime.ObjectTyper) specstatus.Strategy[*capstan.AppProject] {
	return specstatus.NewStrategy(typer, kind)
}

// NewStatusStrategy returns the strategy of the appprojects/status endpoint.
func NewStatusStrategy(strategy specstatus.Strategy[*capstan.AppProject]) specstatus.StatusStrategy[*capstan.AppProject] {
	return specstatus.NewStatusStrategy(strategy)
}
