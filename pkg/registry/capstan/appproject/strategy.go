// Package appproject holds the REST storage of capstan.dev AppProjects.
package appproject

import (
	"context"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
)

// appProjectStrategy implements create, update and delete behaviour for the
// cluster-scoped AppProjects: users own spec, the server owns status.
type appProjectStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
}

// NewStrategy returns the strategy of the main appprojects endpoint.
func NewStrategy(typer runtime.ObjectTyper) appProjectStrategy {
	return appProjectStrategy{typer, names.SimpleNameGenerator}
}

var (
	_ rest.RESTCreateStrategy  = appProjectStrategy{}
	_ rest.RESTUpdateStrategy  = appProjectStrategy{}
	_ rest.ResetFieldsStrategy = appProjectStrategy{}
)

func (appProjectStrategy) NamespaceScoped() bool { return false }

// GetResetFields says that writes through the main endpoint never change status.
func (appProjectStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		"capstan.dev/v1alpha1": fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
	}
}

func (appProjectStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	project := obj.(*capstan.AppProject)
	project.Status = capstan.AppProjectStatus{}
	project.Generation = 1
}

func (appProjectStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newProject := obj.(*capstan.AppProject)
	oldProject := old.(*capstan.AppProject)
	newProject.Status = oldProject.Status
	if !apiequality.Semantic.DeepEqual(newProject.Spec, oldProject.Spec) {
		newProject.Generation = oldProject.Generation + 1
	}
}

func (appProjectStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateAppProject(obj.(*capstan.AppProject))
}

func (appProjectStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	return nil
}

func (appProjectStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return false }

func (appProjectStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

func (appProjectStrategy) Canonicalize(obj runtime.Object) {}

func (appProjectStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateAppProjectUpdate(obj.(*capstan.AppProject), old.(*capstan.AppProject))
}

func (appProjectStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// appProjectStatusStrategy is the strategy of appprojects/status.
type appProjectStatusStrategy struct {
	appProjectStrategy
}

// NewStatusStrategy returns the strategy of the appprojects/status endpoint.
func NewStatusStrategy(strategy appProjectStrategy) appProjectStatusStrategy {
	return appProjectStatusStrategy{strategy}
}

// GetResetFields says that writes through status never change spec or labels.
func (appProjectStatusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		"capstan.dev/v1alpha1": fieldpath.NewSet(
			fieldpath.MakePathOrDie("spec"),
			fieldpath.MakePathOrDie("metadata", "labels"),
		),
	}
}

func (appProjectStatusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newProject := obj.(*capstan.AppProject)
	oldProject := old.(*capstan.AppProject)
	newProject.Spec = oldProject.Spec
	newProject.Labels = oldProject.Labels
}

func (appProjectStatusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateObjectMetaUpdate(obj.(*capstan.AppProject), old.(*capstan.AppProject))
}

func (appProjectStatusStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}
