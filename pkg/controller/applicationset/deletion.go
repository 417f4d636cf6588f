package applicationset

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// reverseDeletionRecheck is how soon an ApplicationSet deleting its
// Applications in reverse step order looks again when no event came: the
// deletion of each Application it waits for queues it anyway.
const reverseDeletionRecheck = 10 * time.Second

// finalizeDeletion handles an ApplicationSet being deleted that holds the
// resources finalizer: when its policy does not allow deleting Applications,
// its Applications are released (their owner reference removed) so that
// garbage collection keeps them; with deletionOrder Reverse, its
// Applications are deleted step by step from the last RollingSync step to the
// first, each step once the later ones are gone; then the finalizer is
// removed, and garbage collection deletes the Applications no step matched.
// Without the finalizer there is nothing to do: garbage collection deletes
// the Applications it owns, as in Argo CD. It returns when to look again
// while a step's Applications are still being deleted.
func (c *Controller) finalizeDeletion(ctx context.Context, appSet *v1alpha1.ApplicationSet) (time.Duration, error) {
	if !slices.Contains(appSet.Finalizers, v1alpha1.ResourcesFinalizerName) {
		return 0, nil
	}
	switch {
	case !c.syncPolicy(appSet).AllowDelete():
		owned, err := c.ownedApplications(appSet)
		if err != nil {
			return 0, err
		}
		for _, app := range owned {
			if err := c.release(ctx, app, appSet); err != nil {
				return 0, err
			}
		}
	case c.reverseDeletion(appSet):
		waiting, err := c.deleteLastStep(ctx, appSet)
		if err != nil || waiting {
			return reverseDeletionRecheck, err
		}
	}
	return 0, c.removeFinalizer(ctx, appSet)
}

// removeFinalizer removes the resources finalizer from a deleted
// ApplicationSet, which lets the API server remove it.
func (c *Controller) removeFinalizer(ctx context.Context, appSet *v1alpha1.ApplicationSet) error {
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

// reverseDeletion tells whether appSet deletes its Applications in reverse
// RollingSync step order: progressive syncs are on and it runs RollingSync
// with steps and deletionOrder Reverse, as in Argo CD.
func (c *Controller) reverseDeletion(appSet *v1alpha1.ApplicationSet) bool {
	return c.options.ProgressiveSyncs && rollingSync(appSet) && appSet.Spec.Strategy.RollingSync != nil &&
		len(appSet.Spec.Strategy.RollingSync.Steps) > 0 &&
		strings.EqualFold(appSet.Spec.Strategy.DeletionOrder, v1alpha1.ApplicationSetDeletionOrderReverse)
}

// deleteLastStep deletes the owned Applications of the last RollingSync step
// that still has any, and tells whether some are still there (deleted or
// being deleted now): the earlier steps wait until they are gone.
// Applications no step matches are left to garbage collection.
func (c *Controller) deleteLastStep(ctx context.Context, appSet *v1alpha1.ApplicationSet) (bool, error) {
	owned, err := c.ownedApplications(appSet)
	if err != nil {
		return false, err
	}
	steps := appSet.Spec.Strategy.RollingSync.Steps
	last := -1
	for _, app := range owned {
		last = max(last, stepOf(steps, app))
	}
	if last < 0 {
		return false, nil
	}
	for _, app := range owned {
		if stepOf(steps, app) != last || app.DeletionTimestamp != nil {
			continue
		}
		klog.FromContext(ctx).Info("Deleting an Application of a deleted ApplicationSet in reverse step order",
			"application", klog.KObj(app), "step", last+1)
		err := c.client.CapstanV1alpha1().Applications(app.Namespace).Delete(ctx, app.Name,
			metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &app.UID}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return true, fmt.Errorf("delete Application %s of step %d: %w", app.Name, last+1, err)
		}
	}
	return true, nil
}

// ensureReverseDeletionFinalizer adds the resources finalizer to an
// ApplicationSet that deletes its Applications in reverse step order, as
// Argo CD does: without it, deleting the ApplicationSet would leave its
// Applications to garbage collection, all at once. It tells whether it wrote.
func (c *Controller) ensureReverseDeletionFinalizer(ctx context.Context, appSet *v1alpha1.ApplicationSet) (bool, error) {
	if !c.reverseDeletion(appSet) || slices.Contains(appSet.Finalizers, v1alpha1.ResourcesFinalizerName) {
		return false, nil
	}
	finalizers := append(slices.Clone(appSet.Finalizers), v1alpha1.ResourcesFinalizerName)
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"finalizers": finalizers, "resourceVersion": appSet.ResourceVersion}})
	if err != nil {
		return false, err
	}
	_, err = c.client.CapstanV1alpha1().ApplicationSets(appSet.Namespace).Patch(ctx, appSet.Name, mergePatch, patch, patchOptions())
	if err != nil {
		return false, fmt.Errorf("add the resources finalizer for deletionOrder Reverse: %w", err)
	}
	return true, nil
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
