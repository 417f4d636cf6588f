// Package specstatus holds the REST strategies of capstan.dev kinds whose
// users own spec and whose server or controller owns status (ApplicationSets,
// AppProjects): the main endpoint never changes status, the status
// subresource never changes spec or labels, and generation counts spec changes.
package specstatus

import (
	"context"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Object is a capstan.dev object with metadata.
type Object interface {
	runtime.Object
	metav1.Object
}

// Kind says what differs between the kinds sharing these strategies.
type Kind[T Object] struct {
	// Namespaced is whether objects of the kind live in namespaces.
	Namespaced bool
	// ClearStatus empties an object's status (on create).
	ClearStatus func(obj T)
	// KeepStatus copies old's status into obj (updates of the main endpoint).
	KeepStatus func(obj, old T)
	// KeepSpec copies old's spec into obj (updates of the status subresource).
	KeepSpec func(obj, old T)
	// SpecEqual tells whether two objects have the same spec.
	SpecEqual func(a, b T) bool
	// Validate, ValidateUpdate and ValidateStatusUpdate validate creates,
	// updates and status updates.
	Validate             func(obj T) field.ErrorList
	ValidateUpdate       func(obj, old T) field.ErrorList
	ValidateStatusUpdate func(obj, old T) field.ErrorList
}

// Strategy is the strategy of the main endpoint.
type Strategy[T Object] struct {
	runtime.ObjectTyper
	names.NameGenerator
	kind Kind[T]
}

// NewStrategy returns the strategy of a kind's main endpoint.
func NewStrategy[T Object](typer runtime.ObjectTyper, kind Kind[T]) Strategy[T] {
	return Strategy[T]{typer, names.SimpleNameGenerator, kind}
}

var (
	_ rest.RESTCreateStrategy  = Strategy[Object]{}
	_ rest.RESTUpdateStrategy  = Strategy[Object]{}
	_ rest.ResetFieldsStrategy = Strategy[Object]{}
)

// NamespaceScoped implements rest.RESTCreateStrategy.
func (s Strategy[T]) NamespaceScoped() bool { return s.kind.Namespaced }

// GetResetFields says that writes through the main endpoint never change status.
func (Strategy[T]) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		"capstan.dev/v1alpha1": fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
	}
}

// PrepareForCreate clears status and starts generation at 1.
func (s Strategy[T]) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	object := obj.(T)
	s.kind.ClearStatus(object)
	object.SetGeneration(1)
}

// PrepareForUpdate keeps status and counts spec changes in generation.
func (s Strategy[T]) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newObject, oldObject := obj.(T), old.(T)
	s.kind.KeepStatus(newObject, oldObject)
	if !s.kind.SpecEqual(newObject, oldObject) {
		newObject.SetGeneration(oldObject.GetGeneration() + 1)
	}
}

// Validate implements rest.RESTCreateStrategy.
func (s Strategy[T]) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return s.kind.Validate(obj.(T))
}

// WarningsOnCreate implements rest.RESTCreateStrategy.
func (Strategy[T]) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string { return nil }

// AllowCreateOnUpdate implements rest.RESTUpdateStrategy.
func (Strategy[T]) AllowCreateOnUpdate(ctx context.Context) bool { return false }

// AllowUnconditionalUpdate implements rest.RESTUpdateStrategy.
func (Strategy[T]) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

// Canonicalize implements rest.RESTCreateStrategy.
func (Strategy[T]) Canonicalize(obj runtime.Object) {}

// ValidateUpdate implements rest.RESTUpdateStrategy.
func (s Strategy[T]) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return s.kind.ValidateUpdate(obj.(T), old.(T))
}

// WarningsOnUpdate implements rest.RESTUpdateStrategy.
func (Strategy[T]) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// StatusStrategy is the strategy of the status subresource.
type StatusStrategy[T Object] struct {
	Strategy[T]
}

// NewStatusStrategy returns the strategy of a kind's status endpoint.
func NewStatusStrategy[T Object](strategy Strategy[T]) StatusStrategy[T] {
	return StatusStrategy[T]{strategy}
}

// GetResetFields says that writes through status never change spec or labels.
func (StatusStrategy[T]) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		"capstan.dev/v1alpha1": fieldpath.NewSet(
			fieldpath.MakePathOrDie("spec"),
			fieldpath.MakePathOrDie("metadata", "labels"),
		),
	}
}

// PrepareForUpdate keeps spec and labels.
func (s StatusStrategy[T]) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newObject, oldObject := obj.(T), old.(T)
	s.kind.KeepSpec(newObject, oldObject)
	newObject.SetLabels(oldObject.GetLabels())
}

// ValidateUpdate implements rest.RESTUpdateStrategy.
func (s StatusStrategy[T]) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return s.kind.ValidateStatusUpdate(obj.(T), old.(T))
}

// WarningsOnUpdate implements rest.RESTUpdateStrategy.
func (StatusStrategy[T]) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// SemanticEqual compares two values with the API's semantic equality.
func SemanticEqual(a, b any) bool { return apiequality.Semantic.DeepEqual(a, b) }
