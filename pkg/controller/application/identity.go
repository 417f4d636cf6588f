package application

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/project"
	syncengine "capstan.dev/capstan/pkg/sync"
)

// applier applies, prunes and deletes app's objects in destination, hooks
// included, with the comparer's write client: with sync impersonation as the
// ServiceAccount the project names (so Kubernetes RBAC limits what the sync
// can do), without as Capstan itself.
func (c *Controller) applier(app *v1alpha1.Application, proj *v1alpha1.AppProject, destination *cluster.Cluster) (syncengine.Applier, error) {
	return c.comparer.SyncApplier(app, proj, destination)
}

// refusal is the project's resource check as a sync plan reads it: every
// object the controller writes for app, hooks included, passes it first.
func refusal(app *v1alpha1.Application, proj *v1alpha1.AppProject) func(obj *unstructured.Unstructured, namespaced bool) string {
	return func(obj *unstructured.Unstructured, namespaced bool) string {
		if refused := project.ResourceRefusal(proj, app.Spec.Destination, obj, namespaced); refused != nil {
			return refused.Error()
		}
		return ""
	}
}
