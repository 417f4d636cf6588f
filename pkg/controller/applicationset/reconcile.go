package applicationset

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/generators"
	"capstan.dev/capstan/pkg/appset/plan"
	"capstan.dev/capstan/pkg/project"
)

// outcome is what a reconcile reports in status: the error that stopped or
// spoiled it, its reason, and whether parameters were generated.
type outcome struct {
	reason              string
	err                 error
	parametersGenerated bool
}

// reconcile brings one ApplicationSet's Applications to what its generators
// describe and returns when to run it again.
func (c *Controller) reconcile(ctx context.Context, key string, full bool) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	appSet, err := c.appSets.ApplicationSets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	logger := klog.LoggerWithValues(klog.FromContext(ctx), "applicationSet", klog.KObj(appSet))
	ctx = klog.NewContext(ctx, logger)
	if appSet.DeletionTimestamp != nil {
		return c.finalizeDeletion(ctx, appSet)
	}
	if !full {
		return 0, c.writeStatus(ctx, appSet, nil)
	}
	if wrote, err := c.ensureReverseDeletionFinalizer(ctx, appSet); wrote || err != nil {
		// The written finalizer queues the ApplicationSet again.
		return 0, err
	}
	// Take a refresh request up before the generators run: one written
	// while they run (a second push) is then left for the next reconcile.
	hard := appSet.Annotations[RefreshAnnotation] != ""
	if err := c.clearRefresh(ctx, appSet); err != nil {
		return 0, err
	}
	result := c.generate(ctx, appSet, hard)
	if err := c.writeStatus(ctx, appSet, &result); err != nil {
		return 0, err
	}
	requeue := generators.RequeueAfter(appSet)
	if result.err != nil && (requeue == 0 || requeue > errorRequeue) {
		requeue = errorRequeue
	}
	return requeue, nil
}

// generate runs the generators, plans and writes the Applications; hard
// bypasses cached Git ref listings. Any failure before the writes stops it:
// nothing is written or deleted.
func (c *Controller) generate(ctx context.Context, appSet *v1alpha1.ApplicationSet, hard bool) outcome {
	fail := func(reason string, err error) outcome {
		c.options.Recorder.Event(appSet, corev1.EventTypeWarning, reason, err.Error())
		klog.FromContext(ctx).Info("ApplicationSet not reconciled", "reason", reason, "err", err)
		return outcome{reason: reason, err: err}
	}
	if refusal := c.appSetRefusal(appSet); refusal != nil {
		return fail(v1alpha1.ApplicationSetReasonApplicationValidationError, refusal)
	}
	existing, err := c.apps.Applications(appSet.Namespace).List(labels.Everything())
	if err != nil {
		return fail(v1alpha1.ApplicationSetReasonErrorOccurred, err)
	}
	changes, err := plan.Compute(ctx, c.options.Generators, appSet, existing,
		plan.Options{SyncPolicy: c.syncPolicy(appSet), Policy: c.options.Policy, Project: c.project},
		generators.Options{Hard: hard})
	if err != nil {
		var planErr *plan.Error
		if errors.As(err, &planErr) {
			return fail(planErr.Reason, planErr.Err)
		}
		return fail(v1alpha1.ApplicationSetReasonErrorOccurred, err)
	}
	if c.options.ProgressiveSyncs {
		changes = c.holdAutoSync(appSet, changes)
	}
	result := c.apply(ctx, appSet, changes)
	result.parametersGenerated = true
	return result
}

// syncPolicy is the applicationsSync policy appSet runs under.
func (c *Controller) syncPolicy(appSet *v1alpha1.ApplicationSet) v1alpha1.ApplicationsSyncPolicy {
	return plan.EffectivePolicy(appSet, c.options.SyncPolicy, c.options.AllowPolicyOverride || c.options.SyncPolicy == "")
}

// project reads an AppProject from the informer, nil when it does not exist.
func (c *Controller) project(name string) (*v1alpha1.AppProject, error) {
	proj, err := c.projects.Get(name)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return proj, err
}

// appSetRefusal checks what the ApplicationSet says literally against its
// project, again at every reconcile (a project can change after admission):
// its namespace, its template's repositories and destination, and, outside
// the control namespaces, the repositories its Git generators read with the
// project's credentials.
func (c *Controller) appSetRefusal(appSet *v1alpha1.ApplicationSet) error {
	name := appSet.Spec.Template.Spec.Project
	if name == "" {
		name = v1alpha1.DefaultAppProjectName
	}
	if project.Templated(name) {
		return nil
	}
	proj, err := c.project(name)
	if err != nil || proj == nil {
		// A missing project refuses each generated Application instead.
		return err
	}
	if refusal := c.options.Policy.ApplicationSetRefusal(proj, appSet); refusal != nil {
		return fmt.Errorf("AppProject %s (%s): %w", refusal.Project, refusal.Rule, refusal)
	}
	if c.options.Policy.IsControlNamespace(appSet.Namespace) {
		return nil
	}
	for _, repoURL := range generators.GitRepositories(appSet) {
		if refusal := project.SourceRefusal(proj, repoURL); refusal != nil {
			return fmt.Errorf("git generator: AppProject %s (%s): %w", refusal.Project, refusal.Rule, refusal)
		}
	}
	return nil
}

// apply executes the plan, one Application at a time: a failure or refusal
// of one does not stop the others, and is reported.
func (c *Controller) apply(ctx context.Context, appSet *v1alpha1.ApplicationSet, changes []plan.Change) outcome {
	var problems []error
	var reason string
	note := func(why string, err error) {
		if reason == "" {
			reason = why
		}
		problems = append(problems, err)
	}
	for _, change := range changes {
		switch change.Action {
		case plan.Refused:
			c.options.Recorder.Event(appSet, corev1.EventTypeWarning, v1alpha1.ApplicationSetReasonApplicationValidationError, change.Message)
			note(v1alpha1.ApplicationSetReasonApplicationValidationError, errors.New(change.Message))
		case plan.Create:
			if err := c.create(ctx, change.Desired); err != nil {
				note(v1alpha1.ApplicationSetReasonCreateApplicationError, fmt.Errorf("create Application %s: %w", change.Name, err))
				continue
			}
			c.options.Recorder.Eventf(appSet, corev1.EventTypeNormal, "Created", "Created Application %q", change.Name)
		case plan.Update:
			if err := c.update(ctx, change); err != nil {
				note(v1alpha1.ApplicationSetReasonUpdateApplicationError, fmt.Errorf("update Application %s: %w", change.Name, err))
				continue
			}
			c.options.Recorder.Eventf(appSet, corev1.EventTypeNormal, "Updated", "Updated Application %q", change.Name)
		case plan.Delete:
			if err := c.delete(ctx, change.Live); err != nil {
				note(v1alpha1.ApplicationSetReasonDeleteApplicationError, fmt.Errorf("delete Application %s: %w", change.Name, err))
				continue
			}
			c.options.Recorder.Eventf(appSet, corev1.EventTypeNormal, "Deleted", "Deleted Application %q", change.Name)
		}
	}
	if len(problems) == 0 {
		return outcome{}
	}
	err := problems[0]
	if len(problems) > 1 {
		err = fmt.Errorf("%w (and %d more)", err, len(problems)-1)
	}
	return outcome{reason: reason, err: err}
}

// clearRefresh removes the refresh annotation, if any.
func (c *Controller) clearRefresh(ctx context.Context, appSet *v1alpha1.ApplicationSet) error {
	if _, ok := appSet.Annotations[RefreshAnnotation]; !ok {
		return nil
	}
	patch := []byte(`{"metadata":{"annotations":{"` + RefreshAnnotation + `":null}}}`)
	_, err := c.client.CapstanV1alpha1().ApplicationSets(appSet.Namespace).Patch(ctx, appSet.Name, mergePatch, patch, patchOptions())
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
