// Package application holds the REST storage of capstan.dev Applications and
// their subresources.
package application

import (
	"context"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
)

// applicationStrategy implements create, update and delete behaviour for Applications
// written through the main endpoint: users own spec and operation, the controller owns status.
type applicationStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
}

// NewStrategy returns the strategy of the main applications endpoint.
func NewStrategy(typer runtime.ObjectTyper) applicationStrategy {
	return applicationStrategy{typer, names.SimpleNameGenerator}
}

var (
	_ rest.RESTCreateStrategy  = applicationStrategy{}
	_ rest.RESTUpdateStrategy  = applicationStrategy{}
	_ rest.RESTDeleteStrategy  = applicationStrategy{}
	_ rest.ResetFieldsStrategy = applicationStrategy{}
)

func (applicationStrategy) NamespaceScoped() bool { return true }

// GetResetFields says that writes through the main endpoint never change status.
func (applicationStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		"capstan.dev/v1alpha1": fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
	}
}

func (applicationStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	app := obj.(*capstan.Application)
	app.Status = capstan.ApplicationStatus{}
	app.Generation = 1
	setInitiator(ctx, nil, app)
}

func (applicationStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newApp := obj.(*capstan.Application)
	oldApp := old.(*capstan.Application)
	newApp.Status = oldApp.Status
	if !apiequality.Semantic.DeepEqual(newApp.Spec, oldApp.Spec) {
		newApp.Generation = oldApp.Generation + 1
	}
	setInitiator(ctx, oldApp.Operation, newApp)
}

func (applicationStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateApplication(obj.(*capstan.Application))
}

func (applicationStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	return nil
}

func (applicationStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return false }

func (applicationStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

func (applicationStrategy) Canonicalize(obj runtime.Object) {}

func (applicationStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateApplicationUpdate(obj.(*capstan.Application), old.(*capstan.Application))
}

func (applicationStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// applicationStatusStrategy is the strategy of applications/status: the controller
// writes status, and clears operation in the same write when it takes the
// operation over, as Argo CD's controller does.
type applicationStatusStrategy struct {
	applicationStrategy
}

// NewStatusStrategy returns the strategy of the applications/status endpoint.
func NewStatusStrategy(strategy applicationStrategy) applicationStatusStrategy {
	return applicationStatusStrategy{strategy}
}

// GetResetFields says that writes through status never change spec or labels.
func (applicationStatusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		"capstan.dev/v1alpha1": fieldpath.NewSet(
			fieldpath.MakePathOrDie("spec"),
			fieldpath.MakePathOrDie("metadata", "labels"),
		),
	}
}

func (applicationStatusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newApp := obj.(*capstan.Application)
	oldApp := old.(*capstan.Application)
	newApp.Spec = oldApp.Spec
	newApp.Labels = oldApp.Labels
	if OperationChanged(oldApp.Operation, newApp.Operation) && !startsOwnOperation(ctx, oldApp, newApp) {
		// A status write may keep or clear the operation (the controller ends
		// it), never start one: that needs the rights a sync needs.
		newApp.Operation = oldApp.Operation
	}
}

// startsOwnOperation tells whether a status write is capstan-apiserver's own
// controller (the loopback user) starting an automated sync: it sets the
// operation and records it as started in one write.
func startsOwnOperation(ctx context.Context, oldApp, newApp *capstan.Application) bool {
	requester, ok := genericapirequest.UserFrom(ctx)
	return ok && requester.GetName() == user.APIServerUser &&
		oldApp.Operation == nil && newApp.Operation != nil && newApp.Operation.InitiatedBy.Automated
}

func (applicationStatusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	newApp := obj.(*capstan.Application)
	return validation.ValidateApplicationStatusUpdate(newApp, old.(*capstan.Application))
}

func (applicationStatusStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// GetAttrs returns the labels and the selectable fields of an Application.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	app, ok := obj.(*capstan.Application)
	if !ok {
		return nil, nil, fmt.Errorf("not an Application: %T", obj)
	}
	return labels.Set(app.Labels), SelectableFields(app), nil
}

// MatchApplication returns a predicate matching Applications by label and field selectors.
func MatchApplication(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: GetAttrs}
}

// SelectableFields returns the fields of app that field selectors can match.
func SelectableFields(app *capstan.Application) fields.Set {
	set := generic.ObjectMetaFieldsSet(&app.ObjectMeta, true)
	set["spec.project"] = app.Spec.Project
	set["spec.destination.server"] = app.Spec.Destination.Server
	set["spec.destination.name"] = app.Spec.Destination.Name
	set["spec.destination.namespace"] = app.Spec.Destination.Namespace
	set["status.sync.status"] = string(app.Status.Sync.Status)
	set["status.health.status"] = string(app.Status.Health.Status)
	return set
}
