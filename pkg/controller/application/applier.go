package application

import (
	"context"

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
// It also makes the comparer forget that an object it applies was absent, so
// that the next comparison looks it up even before the watch delivers it.
type rememberingApplier struct {
	syncengine.Applier
	objects  *cluster.ObjectCache
	remember func(target, applied *unstructured.Unstructured) error
}

// Apply applies obj and remembers the outcome of a real (not dry-run) apply.
func (a rememberingApplier) Apply(ctx context.Context, obj *unstructured.Unstructured, opts syncengine.ApplyOptions) (syncengine.Applied, error) {
	if !opts.DryRun {
		a.objects.ForgetAbsent(cluster.KeyOf(obj))
	}
	applied, err := a.Applier.Apply(ctx, obj, opts)
	if err == nil && !opts.DryRun && applied.Object != nil {
		if err := a.remember(obj, applied.Object); err != nil {
			klog.FromContext(ctx).V(2).Info("Cannot remember an applied object", "name", obj.GetName(), "err", err)
		}
	}
	return applied, err
}
