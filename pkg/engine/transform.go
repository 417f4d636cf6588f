package engine

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"
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
