package compare

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

// LiveState reads an Application's live objects (hooks included) without
// rendering its target state, so that an Application whose source no longer
// renders can still be deleted with its objects. The kinds looked at are those
// of status.resources, which the last comparison recorded, so objects of kinds
// the cache does not watch yet (after a restart) are found too. Objects proj
// does not permit are left out.
func (c *Comparer) LiveState(ctx context.Context, app *v1alpha1.Application, proj *v1alpha1.AppProject) (*cluster.Cluster, map[cluster.ResourceKey]*unstructured.Unstructured, error) {
	destination, err := c.Destination(app, proj)
	if err != nil {
		return nil, nil, err
	}
	for _, resource := range app.Status.Resources {
		gvk := schema.GroupVersionKind{Group: resource.Group, Version: resource.Version, Kind: resource.Kind}
		if _, err := destination.Cache.Watch(ctx, gvk); err != nil && !meta.IsNoMatchError(err) {
			return nil, nil, fmt.Errorf("%s %s: %w", resource.Kind, resource.Name, err)
		}
	}
	live, hooks, err := c.liveObjects(ctx, destination, app, nil, true)
	if err != nil {
		return nil, nil, err
	}
	for key, obj := range hooks {
		live[key] = obj
	}
	withoutRefusedLive(proj, app.Spec.Destination, live)
	return destination, live, nil
}
