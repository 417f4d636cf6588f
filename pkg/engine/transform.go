package engine

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// withoutManagedFields is the transform of the controllers' informers: no
// controller reads the managedFields of Applications, AppProjects or
// ApplicationSets, which are a good part of each cached copy (the status's
// entry lists every status field). A write of a copy without them keeps the
// stored ones: the API server takes a write without managedFields to mean
// "unchanged".
func withoutManagedFields(obj any) (any, error) {
	if accessor, err := meta.Accessor(unwrap(obj)); err == nil {
		accessor.SetManagedFields(nil)
	}
	return obj, nil
}

// unwrap is the object of a tombstone, or obj.
func unwrap(obj any) any {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return tombstone.Obj
	}
	return obj
}

// WebhookTransform is the transform of the Git webhook receiver's informers:
// besides managedFields, it drops what a push's matching never reads, an
// Application's status and operation.
func WebhookTransform(obj any) (any, error) {
	obj, _ = withoutManagedFields(obj)
	if app, ok := unwrap(obj).(*v1alpha1.Application); ok {
		app.Status = v1alpha1.ApplicationStatus{}
		app.Operation = nil
	}
	return obj, nil
}
