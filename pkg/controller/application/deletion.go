package application

import (
	"context"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/compare"
	"capstan.dev/capstan/pkg/sync"
)

// resourcesFinalizers are the finalizers that make an Application's deletion
// delete its managed objects first.
var resourcesFinalizers = []string{
	v1alpha1.ResourcesFinalizerName,
	v1alpha1.ForegroundPropagationPolicyFinalizer,
	v1alpha1.BackgroundPropagationPolicyFinalizer,
}

// deletionRecheck re-checks a deletion in progress when no watch event came.
const deletionRecheck = 5 * time.Second

// deleteResources carries out the deletion of an Application that has the
// resources finalizer: its managed objects are deleted wave by wave, highest
// first, then the finalizer is removed. It returns when to look again, or
// zero when the deletion is done. Without the finalizer nothing in the
// destination is touched.
func (c *Controller) deleteResources(ctx context.Context, app *v1alpha1.Application) (time.Duration, error) {
	if !slices.ContainsFunc(app.Finalizers, func(f string) bool { return slices.Contains(resourcesFinalizers, f) }) {
		return 0, nil
	}
	logger := klog.FromContext(ctx)
	result := c.comparer.Compare(ctx, app, compare.Options{})
	if result.Cluster == nil {
		// Without the live state nothing can be deleted safely: keep the
		// finalizer and try again.
		logger.Info("Deletion waits: the live state cannot be read", "conditions", result.Conditions)
		return deletionRecheck, nil
	}
	var appSyncOptions v1alpha1.SyncOptions
	if app.Spec.SyncPolicy != nil {
		appSyncOptions = app.Spec.SyncPolicy.SyncOptions
	}
	step := sync.DeletionPlan(sync.DeletionInput{
		Finalizers:       app.Finalizers,
		AppSyncOptions:   appSyncOptions,
		Live:             result.Live,
		DeletionApproved: sync.DeletionApproved(app.Annotations, app.DeletionTimestamp.Time),
	})
	switch {
	case step.Done:
		return 0, c.removeResourcesFinalizers(ctx, app)
	case step.Waiting != "":
		logger.V(2).Info("Deletion waits", "reason", step.Waiting)
		return deletionRecheck, nil
	}
	for _, obj := range step.Delete {
		mapping, err := result.Cluster.Cache.Mapping(obj.GroupVersionKind())
		if err != nil {
			return 0, err
		}
		resource := result.Cluster.Dynamic.Resource(mapping.Resource)
		namespace := ""
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			namespace = obj.GetNamespace()
		}
		propagation := step.Propagation
		err = resource.Namespace(namespace).Delete(ctx, obj.GetName(), metav1.DeleteOptions{PropagationPolicy: &propagation})
		if err != nil && !apierrors.IsNotFound(err) {
			return 0, fmt.Errorf("delete %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
		}
		logger.Info("Deleted a managed object", "kind", obj.GetKind(), "namespace", obj.GetNamespace(), "name", obj.GetName())
	}
	return deletionRecheck, nil
}

// removeResourcesFinalizers lets the API server finish deleting the Application.
func (c *Controller) removeResourcesFinalizers(ctx context.Context, app *v1alpha1.Application) error {
	apps := c.client.CapstanV1alpha1().Applications(app.Namespace)
	fresh, err := apps.Get(ctx, app.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	fresh.Finalizers = slices.DeleteFunc(fresh.Finalizers, func(f string) bool { return slices.Contains(resourcesFinalizers, f) })
	if _, err := apps.Update(ctx, fresh, metav1.UpdateOptions{FieldManager: compare.FieldManager}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remove the resources finalizer: %w", err)
	}
	klog.FromContext(ctx).Info("Deleted the managed objects; removed the resources finalizer")
	return nil
}
