package application

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/cluster"
	syncengine "capstan.dev/capstan/pkg/sync"
)

// rememberingApplier tells the comparer the outcome of every apply of a sync:
// the object the API server returns is what applying the target produces, so
// the comparison that follows the sync finds those objects unmodified without
// a dry-run of each.
//
// It also makes the comparer forget that an object it applies was absent,
// and gives the object cache what the API server returned, so that the next
// comparison finds the object even before the watch delivers it, without a
// request.
type rememberingApplier struct {
	syncengine.Applier
	objects *cluster.ObjectCache
	// namespaces learns of the namespaces the sync creates (CreateNamespace).
	namespaces *cluster.NamespaceIndex
	remember   func(target, applied *unstructured.Unstructured) error
}

// NotOlderThanApplied tells whether a cached copy is at least as new as what
// this process last applied of it (see cluster.ObjectCache).
func (a rememberingApplier) NotOlderThanApplied(obj *unstructured.Unstructured) bool {
	return a.objects.NotOlderThanApplied(obj)
}

// Apply applies obj and remembers the outcome of a real (not dry-run) apply.
func (a rememberingApplier) Apply(ctx context.Context, obj *unstructured.Unstructured, opts syncengine.ApplyOptions) (syncengine.Applied, error) {
	if !opts.DryRun {
		a.objects.ForgetAbsent(cluster.KeyOf(obj))
	}
	startedAt := time.Now()
	applied, err := a.Applier.Apply(ctx, obj, opts)
	if err == nil && !opts.DryRun && applied.Object != nil {
		if err := a.remember(obj, applied.Object); err != nil {
			klog.FromContext(ctx).V(2).Info("Cannot remember an applied object", "name", obj.GetName(), "err", err)
		}
		if gvk := applied.Object.GroupVersionKind(); gvk.Group == "" && gvk.Kind == "Namespace" {
			a.namespaces.Applied(applied.Object)
		}
		if mapping, err := a.objects.Mapping(applied.Object.GroupVersionKind()); err == nil {
			a.objects.Applied(mapping.Resource, applied.Object, startedAt)
		}
	}
	return applied, err
}
