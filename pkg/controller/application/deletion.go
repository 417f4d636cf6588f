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
	syncengine "capstan.dev/capstan/pkg/sync"
)

// resourcesFinalizers are the finalizers that make an Application's deletion
// delete its managed objects first.
var resourcesFinalizers = []string{
	v1alpha1.ResourcesFinalizerName,
	v1alpha1.ForegroundPropagationPolicyFinalizer,
	v1alpha1.BackgroundPropagationPolicyFinalizer,
}

// The cleanup finalizers hold an Application until its finished deletion hooks
// were deleted by their delete policies, as Argo CD's do.
const (
	preDeleteCleanupFinalizer  = v1alpha1.PreDeleteFinalizerName + "/cleanup"
	postDeleteCleanupFinalizer = v1alpha1.PostDeleteFinalizerName + "/cleanup"
)

// deletionFinalizers are every finalizer this controller removes.
var deletionFinalizers = append([]string{
	v1alpha1.PreDeleteFinalizerName, preDeleteCleanupFinalizer,
	v1alpha1.PostDeleteFinalizerName, postDeleteCleanupFinalizer,
}, resourcesFinalizers...)

// deletionRecheck re-checks a deletion in progress when no watch event came.
const deletionRecheck = 5 * time.Second

// finalizeDeletion carries out the deletion of an Application one stage at a
// time, each stage held by its finalizer, in Argo CD's order: PreDelete hooks,
// their cleanup, the managed objects wave by wave (resources finalizer), then
// PostDelete hooks and their cleanup. Each stage removes its finalizer when
// done; the removal is an update that brings the Application back for the
// next stage. It returns when to look again, or zero when nothing is left.
// Without any of these finalizers nothing in the destination is touched.
func (c *Controller) finalizeDeletion(ctx context.Context, app *v1alpha1.Application) (time.Duration, error) {
	has := func(names ...string) bool {
		return slices.ContainsFunc(app.Finalizers, func(f string) bool { return slices.Contains(names, f) })
	}
	if !has(deletionFinalizers...) {
		return 0, nil
	}
	// Each stage must see the finalizers the previous one left.
	fresh, err := c.client.CapstanV1alpha1().Applications(app.Namespace).Get(ctx, app.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	app = fresh
	if c.projectMissing(app) {
		// Which objects the Application may delete is the project's to say:
		// without it nothing is deleted. Removing the finalizers by hand
		// deletes the Application and leaves its objects.
		return deletionRecheck, c.setDeletionError(ctx, app, fmt.Sprintf(
			"AppProject %s does not exist: nothing is deleted until it exists again (or remove the finalizers to leave the objects)", projectName(app)))
	}
	proj := c.project(app)
	result := c.comparer.Compare(ctx, app, compare.Options{Project: proj})
	switch {
	case has(v1alpha1.PreDeleteFinalizerName):
		return c.runDeletionHooks(ctx, app, proj, result, v1alpha1.SyncPhasePreDelete, v1alpha1.PreDeleteFinalizerName)
	case has(preDeleteCleanupFinalizer):
		return c.cleanupDeletionHooks(ctx, app, proj, result, v1alpha1.SyncPhasePreDelete, preDeleteCleanupFinalizer)
	case has(resourcesFinalizers...):
		return c.deleteResources(ctx, app, proj, result)
	case has(v1alpha1.PostDeleteFinalizerName):
		return c.runDeletionHooks(ctx, app, proj, result, v1alpha1.SyncPhasePostDelete, v1alpha1.PostDeleteFinalizerName)
	default:
		return c.cleanupDeletionHooks(ctx, app, proj, result, v1alpha1.SyncPhasePostDelete, postDeleteCleanupFinalizer)
	}
}

// deleteResources deletes the managed objects wave by wave, highest first,
// then removes the resources finalizer. The live state does not depend on the
// source: an Application whose source no longer renders is deleted too. Only
// objects tracked to the Application that its project permits are deleted.
func (c *Controller) deleteResources(ctx context.Context, app *v1alpha1.Application, proj *v1alpha1.AppProject, result compare.Result) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	destination, live := result.Cluster, result.Live
	if destination == nil {
		var err error
		destination, live, err = c.comparer.LiveState(ctx, app, proj)
		if err != nil {
			// Without the live state nothing can be deleted safely: keep the
			// finalizer and try again.
			logger.Info("Deletion waits: the live state cannot be read", "err", err)
			return deletionRecheck, c.setDeletionError(ctx, app, fmt.Sprintf("read the live state: %v", err))
		}
	}
	var appSyncOptions v1alpha1.SyncOptions
	if app.Spec.SyncPolicy != nil {
		appSyncOptions = app.Spec.SyncPolicy.SyncOptions
	}
	step := syncengine.DeletionPlan(syncengine.DeletionInput{
		Finalizers:       app.Finalizers,
		AppSyncOptions:   appSyncOptions,
		Live:             live,
		AppNamespace:     app.Namespace,
		AppName:          app.Name,
		DeletionApproved: syncengine.DeletionApproved(app.Annotations, app.DeletionTimestamp.Time),
	})
	switch {
	case step.Done:
		return 0, c.removeFinalizers(ctx, app, resourcesFinalizers...)
	case step.Waiting != "":
		logger.V(2).Info("Deletion waits", "reason", step.Waiting)
		return deletionRecheck, nil
	}
	client, err := c.comparer.WriteClient(app, proj, destination)
	if err != nil {
		return deletionRecheck, c.setDeletionError(ctx, app, err.Error())
	}
	for _, obj := range step.Delete {
		mapping, err := destination.Cache.Mapping(obj.GroupVersionKind())
		if err != nil {
			return 0, err
		}
		resource := client.Resource(mapping.Resource)
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

// runDeletionHooks runs the PreDelete or PostDelete hooks of the target state
// until all completed, then removes finalizer. A failed hook is reported as a
// DeletionError condition and deleted, so the next attempt runs it again; the
// Application stays until the hooks succeed, as in Argo CD.
func (c *Controller) runDeletionHooks(ctx context.Context, app *v1alpha1.Application, proj *v1alpha1.AppProject, result compare.Result, phase v1alpha1.SyncPhase, finalizer string) (time.Duration, error) {
	in, err := c.deletionHooksInput(app, proj, result, phase)
	if err != nil {
		return deletionRecheck, c.setDeletionError(ctx, app, err.Error())
	}
	state, err := syncengine.RunDeletionHooks(ctx, in)
	switch {
	case err != nil:
		return deletionRecheck, c.setDeletionError(ctx, app, err.Error())
	case state.Failed:
		c.recordDeletionHooksFailed(app, state.Message)
		return deletionRecheck, c.setDeletionError(ctx, app, state.Message)
	case !state.Done:
		klog.FromContext(ctx).V(2).Info("Deletion waits for hooks", "phase", phase, "message", state.Message)
		return deletionRecheck, nil
	}
	if err := c.setDeletionError(ctx, app, ""); err != nil {
		return 0, err
	}
	return 0, c.removeFinalizers(ctx, app, finalizer)
}

// cleanupDeletionHooks deletes finished deletion hooks by their delete
// policies, then removes finalizer.
func (c *Controller) cleanupDeletionHooks(ctx context.Context, app *v1alpha1.Application, proj *v1alpha1.AppProject, result compare.Result, phase v1alpha1.SyncPhase, finalizer string) (time.Duration, error) {
	in, err := c.deletionHooksInput(app, proj, result, phase)
	if err != nil {
		return deletionRecheck, c.setDeletionError(ctx, app, err.Error())
	}
	done, err := syncengine.CleanupDeletionHooks(ctx, in)
	if err != nil {
		return deletionRecheck, c.setDeletionError(ctx, app, err.Error())
	}
	if !done {
		return deletionRecheck, nil
	}
	return 0, c.removeFinalizers(ctx, app, finalizer)
}

// deletionHooksInput plans the deletion hooks of phase from the target state;
// generateName hooks are named after the deletion timestamp, so every attempt
// finds the hooks the previous one created. Hooks pass the project's
// resource rules, as sync hooks do: a refused hook fails the stage.
func (c *Controller) deletionHooksInput(app *v1alpha1.Application, proj *v1alpha1.AppProject, result compare.Result, phase v1alpha1.SyncPhase) (syncengine.DeletionHooksInput, error) {
	if result.Cluster == nil || result.Target == nil {
		message := "the target state cannot be read"
		if len(result.Conditions) > 0 {
			message = result.Conditions[0].Message
		}
		return syncengine.DeletionHooksInput{}, fmt.Errorf("cannot run the %s hooks: %s", phase, message)
	}
	live := result.LiveWithHooks()
	targets := result.AllTargets()
	plan, err := syncengine.NewPlan(syncengine.PlanInput{
		AppNamespace: app.Namespace, AppName: app.Name,
		DestinationNamespace: app.Spec.Destination.Namespace,
		Targets:              targets,
		Live:                 live,
		Revision:             result.Target.Revision,
		OperationID:          syncengine.OperationID(app.DeletionTimestamp.Time),
		IsNamespaced:         syncengine.IsNamespacedFunc(result.Cluster.Cache.RESTMapper()),
		Refusal:              refusal(app, proj),
	})
	if err != nil {
		return syncengine.DeletionHooksInput{}, fmt.Errorf("plan the %s hooks: %w", phase, err)
	}
	hooks := plan.PreDelete
	if phase == v1alpha1.SyncPhasePostDelete {
		hooks = plan.PostDelete
	}
	client, err := c.applier(app, proj, result.Cluster)
	if err != nil {
		return syncengine.DeletionHooksInput{}, fmt.Errorf("cannot run the %s hooks: %w", phase, err)
	}
	return syncengine.DeletionHooksInput{
		Hooks:  hooks,
		Live:   live,
		Client: client,
		Health: c.comparer.HealthAssessor(),
	}, nil
}

// removeFinalizers removes names from the latest copy of the Application.
func (c *Controller) removeFinalizers(ctx context.Context, app *v1alpha1.Application, names ...string) error {
	apps := c.client.CapstanV1alpha1().Applications(app.Namespace)
	fresh, err := apps.Get(ctx, app.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	fresh.Finalizers = slices.DeleteFunc(fresh.Finalizers, func(f string) bool { return slices.Contains(names, f) })
	if _, err := apps.Update(ctx, fresh, metav1.UpdateOptions{FieldManager: compare.FieldManager}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remove the finalizers %v: %w", names, err)
	}
	klog.FromContext(ctx).Info("Deletion stage done; removed its finalizer", "finalizers", names)
	return nil
}

// setDeletionError sets (or with an empty message clears) the DeletionError
// condition, writing only when it changes.
func (c *Controller) setDeletionError(ctx context.Context, app *v1alpha1.Application, message string) error {
	var existing *v1alpha1.ApplicationCondition
	for i := range app.Status.Conditions {
		if app.Status.Conditions[i].Type == v1alpha1.ApplicationConditionDeletionError {
			existing = &app.Status.Conditions[i]
		}
	}
	if existing == nil && message == "" || existing != nil && existing.Message == message {
		return nil
	}
	updated := app.DeepCopy()
	updated.Status.Conditions = slices.DeleteFunc(updated.Status.Conditions, func(cond v1alpha1.ApplicationCondition) bool {
		return cond.Type == v1alpha1.ApplicationConditionDeletionError
	})
	if message != "" {
		now := metav1.Now()
		updated.Status.Conditions = append(updated.Status.Conditions, v1alpha1.ApplicationCondition{
			Type: v1alpha1.ApplicationConditionDeletionError, Message: message, LastTransitionTime: &now,
		})
	}
	_, err := c.client.CapstanV1alpha1().Applications(app.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: compare.FieldManager})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("set the DeletionError condition: %w", err)
	}
	return nil
}

// ensureDeletionHookFinalizers adds the finalizers that hold the Application's
// deletion for its PreDelete and PostDelete hooks when its target state has
// such hooks, and removes them when it no longer has, before the status is
// written: an Application that shows Synced can then never be deleted without
// running its hooks. It returns the updated Application.
func (c *Controller) ensureDeletionHookFinalizers(ctx context.Context, app *v1alpha1.Application, result compare.Result) (*v1alpha1.Application, error) {
	if result.Target == nil || result.Cluster == nil {
		return app, nil
	}
	finalizers := deletionHookFinalizers(app, result)
	if slices.Equal(finalizers, app.Finalizers) {
		return app, nil
	}
	updated := app.DeepCopy()
	updated.Finalizers = finalizers
	out, err := c.client.CapstanV1alpha1().Applications(app.Namespace).Update(ctx, updated, metav1.UpdateOptions{FieldManager: compare.FieldManager})
	if err != nil {
		return nil, fmt.Errorf("update the deletion hook finalizers: %w", err)
	}
	c.wrote(out)
	return out, nil
}

// deletionHookFinalizersChange tells whether ensureDeletionHookFinalizers
// would write app.
func (c *Controller) deletionHookFinalizersChange(app *v1alpha1.Application, result compare.Result) bool {
	if result.Target == nil || result.Cluster == nil {
		return false
	}
	return !slices.Equal(deletionHookFinalizers(app, result), app.Finalizers)
}

// deletionHookFinalizers are app's finalizers with those of its deletion
// hooks' kinds added and the others removed.
func deletionHookFinalizers(app *v1alpha1.Application, result compare.Result) []string {
	preDelete, postDelete := syncengine.DeletionHookTypes(result.AllTargets())
	finalizers := slices.Clone(app.Finalizers)
	finalizers = withFinalizers(finalizers, preDelete, v1alpha1.PreDeleteFinalizerName, preDeleteCleanupFinalizer)
	return withFinalizers(finalizers, postDelete, v1alpha1.PostDeleteFinalizerName, postDeleteCleanupFinalizer)
}

// withFinalizers adds names to finalizers when present is true, and removes
// them otherwise.
func withFinalizers(finalizers []string, present bool, names ...string) []string {
	for _, name := range names {
		has := slices.Contains(finalizers, name)
		switch {
		case present && !has:
			finalizers = append(finalizers, name)
		case !present && has:
			finalizers = slices.DeleteFunc(finalizers, func(f string) bool { return f == name })
		}
	}
	return finalizers
}
