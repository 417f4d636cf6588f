// Package applicationset holds the REST storage of capstan.dev ApplicationSets.
package applicationset

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

// applicationSetStrategy implements create, update and delete behaviour for
// ApplicationSets: users own spec, the controller owns status.
type applicationSetStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
}

// NewStrategy returns the strategy of the main applicationsets endpoint.
func NewStrategy(typer runtime.ObjectTyper) applicationSetStrategy {
	return applicationSetStrategy{typer, names.SimpleNameGenerator}
}

var (
	_ rest.RESTCreateStrategy  = applicationSetStrategy{}
	_ rest.RESTUpdateStrategy  = applicationSetStrategy{}
	_ rest.ResetFieldsStrategy = applicationSetStrategy{}
)

func (applicationSetStrategy) NamespaceScoped() bool { return true }

// GetResetFields says that writes through the main endpoint never change status.
func (applicationSetStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		"capstan.dev/v1alpha1": fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
	}
}

func (applicationSetStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	appSet := obj.(*capstan.ApplicationSet)
	appSet.Status = capstan.ApplicationSetStatus{}
	appSet.Generation = 1
}

func (applicationSetStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newAppSet := obj.(*capstan.ApplicationSet)
	oldAppSet := old.(*capstan.ApplicationSet)
	newAppSet.Status = oldAppSet.Status
	if !apiequality.Semantic.DeepEqual(newAppSet.Spec, oldAppSet.Spec) {
		newAppSet.Generation = oldAppSet.Generation + 1
	}
}

func (applicationSetStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateApplicationSet(obj.(*capstan.ApplicationSet))
}

func (applicationSetStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	return nil
}

func (applicationSetStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return false }

func (applicationSetStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

func (applicationSetStrategy) Canonicalize(obj runtime.Object) {}

func (applicationSetStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateApplicationSetUpdate(obj.(*capstan.ApplicationSet), old.(*capstan.ApplicationSet))
}

func (applicationSetStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// applicationSetStatusStrategy is the strategy of applicationsets/status.
type applicationSetStatusStrategy struct {
	applicationSetStrategy
}

// NewStatusStrategy returns the strategy of the applicationsets/status endpoint.
func NewStatusStrategy(strategy applicationSetStrategy) applicationSetStatusStrategy {
	return applicationSetStatusStrategy{strategy}
}

// GetResetFields says that writes through status never change spec or labels.
func (applicationSetStatusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		"capstan.dev/v1alpha1": fieldpath.NewSet(
			fieldpath.MakePathOrDie("spec"),
			fieldpath.MakePathOrDie("metadata", "labels"),
		),
	}
}

func (applicationSetStatusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newAppSet := obj.(*capstan.ApplicationSet)
	oldAppSet := old.(*capstan.ApplicationSet)
	newAppSet.Spec = oldAppSet.Spec
	newAppSet.Labels = oldAppSet.Labels
}

func (applicationSetStatusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateApplicationSetStatusUpdate(obj.(*capstan.ApplicationSet), old.(*capstan.ApplicationSet))
}

func (applicationSetStatusStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}
