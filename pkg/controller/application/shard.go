package application

import (
	"context"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Shard tells which Applications this replica works on when several
// replicas share them (pkg/sharding); without one, the controller works on
// every Application.
type Shard interface {
	// Owns tells whether this replica compares, syncs and deletes the
	// Application namespace/name.
	Owns(namespace, name string) bool
	// HoldsOperation tells whether this replica runs app's operation: it
	// keeps it to its end even after the Application moved to another replica.
	HoldsOperation(app *v1alpha1.Application) bool
	// ClaimOperation claims app's operation for this replica when it may and
	// returns the Application as written; false when another replica runs it.
	ClaimOperation(ctx context.Context, app *v1alpha1.Application) (*v1alpha1.Application, bool, error)
}

// mine tells whether this replica works on app: it owns it, or runs its
// operation.
func (c *Controller) mine(app *v1alpha1.Application) bool {
	shard := c.options.Shard
	return shard == nil || shard.Owns(app.Namespace, app.Name) || shard.HoldsOperation(app)
}

// mineKey is mine for a queued key; an Application that is gone is left to
// the refresh, which forgets it.
func (c *Controller) mineKey(key string) bool {
	if c.options.Shard == nil {
		return true
	}
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return false
	}
	app, err := c.lister.Applications(namespace).Get(name)
	if err != nil {
		return true
	}
	return c.mine(app)
}

// OwnershipChanged is told when the live replicas changed: it refreshes the
// Applications this replica works on now (those it took over among them,
// whose operations it resumes) and withdraws the metrics of the others.
func (c *Controller) OwnershipChanged() {
	apps, err := c.lister.List(labels.Everything())
	if err != nil {
		return
	}
	for _, app := range apps {
		if c.mine(app) {
			c.changed(app.Namespace + "/" + app.Name)
			c.queue.Add(app.Namespace + "/" + app.Name)
		} else {
			c.appInfo.delete(app.Namespace, app.Name)
		}
	}
}
