package applicationset

import (
	"context"
	"encoding/json"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// finalizeDeletion handles an ApplicationSet being deleted that holds the
// resources finalizer: when its policy does not allow deleting Applications,
// its Applications are released (their owner reference removed) so that
// garbage collection keeps them; then the finalizer is removed. Without the
// finalizer there is nothing to do: garbage collection deletes the
// Applications it owns, as in Argo CD.
func (c *Controller) finalizeDeletion(ctx context.Context, appSet *v1alpha1.ApplicationSet) error {
	if !slices.Contains(appSet.Finalizers, v1alpha1.ResourcesFinalizerName) {
		return nil
	}
	if !c.syncPolicy(appSet).AllowDelete() {
		owned, err := c.ownedApplications(appSet)
		if err != nil {
			return err
		}
		for _, app := range owned {
			if err := c.release(ctx, app, appSet); err != nil {
				return err
			}
		}
	}
	kept := slices.DeleteFunc(slices.Clone(appSet.Finalizers), func(f string) bool { return f == v1alpha1.ResourcesFinalizerName })
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"finalizers": kept, "resourceVersion": appSet.ResourceVersion}})
	if err != nil {
		return err
	}
	_, err = c.client.CapstanV1alpha1().ApplicationSets(appSet.Namespace).Patch(ctx, appSet.Name, mergePatch, patch, patchOptions())
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// release removes appSet's owner reference from app.
func (c *Controller) release(ctx context.Context, app *v1alpha1.Application, appSet *v1alpha1.ApplicationSet) error {
	owners := slices.DeleteFunc(slices.Clone(app.OwnerReferences), func(owner metav1.OwnerReference) bool {
		return owner.UID == appSet.UID
	})
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"ownerReferences": owners, "resourceVersion": app.ResourceVersion}})
	if err != nil {
		return err
	}
	klog.FromContext(ctx).Info("Releasing an Application of a deleted ApplicationSet whose policy does not delete", "application", klog.KObj(app))
	_, err = c.client.CapstanV1alpha1().Applications(app.Namespace).Patch(ctx, app.Name, mergePatch, patch, patchOptions())
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
