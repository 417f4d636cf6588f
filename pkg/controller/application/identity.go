package application

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/project"
	"capstan.dev/capstan/pkg/sync"
)

// writeClient returns the client that applies, prunes and deletes app's
// objects in destination, hooks included: with sync impersonation, one that
// acts as the ServiceAccount the project names for the destination (so
// Kubernetes RBAC limits what the sync can do); without, Capstan's own.
func (c *Controller) writeClient(app *v1alpha1.Application, proj *v1alpha1.AppProject, destination *cluster.Cluster) (dynamic.Interface, error) {
	if !c.options.SyncImpersonation {
		return destination.Dynamic, nil
	}
	account, err := project.ServiceAccountFor(proj, app.Spec.Destination, destination.Server, app.Namespace)
	if err != nil {
		return nil, err
	}
	return destination.Impersonating(account)
}

// applier is writeClient as the sync engine's Applier.
func (c *Controller) applier(app *v1alpha1.Application, proj *v1alpha1.AppProject, destination *cluster.Cluster) (sync.Applier, error) {
	client, err := c.writeClient(app, proj, destination)
	if err != nil {
		return nil, err
	}
	return sync.NewKubeApplier(client, destination.Cache.RESTMapper()), nil
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
