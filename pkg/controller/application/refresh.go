package application

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/compare"
	"capstan.dev/capstan/pkg/refresh"
	syncengine "capstan.dev/capstan/pkg/sync"
)

// refresh compares one Application and writes its status when it changed.
func (c *Controller) refresh(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	app, err := c.current(ctx, namespace, name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	logger := klog.FromContext(ctx).WithValues("application", key)
	return c.reconcile(klog.NewContext(ctx, logger), key, app)
}

// reconcile compares app, publishes its status and starts an automated sync
// when one is due; it hands deletions and operations to their stages.
func (c *Controller) reconcile(ctx context.Context, key string, app *v1alpha1.Application) error {
	return c.reconcileEnding(ctx, key, app, nil)
}

// reconcileEnding is reconcile that, when end is set, compares the
// Application as the end of its operation leaves it (app is then ignored) and
// writes that end in the same write as the comparison's status. end.written
// tells whether the end was written, whatever the error.
func (c *Controller) reconcileEnding(ctx context.Context, key string, app *v1alpha1.Application, end *operationEnd) error {
	var err error
	if end != nil {
		app = end.ended()
	}
	// A requested refresh resolves revisions again (once per push for a webhook's).
	request := refresh.FromAnnotations(app.Annotations)

	if end != nil && app.DeletionTimestamp != nil {
		// Deleting: record the end alone, then finalize as usual.
		if app, err = c.endOperation(ctx, end.running, end.state, end.phase, end.message); err != nil {
			return err
		}
		end = nil
	}
	if app.DeletionTimestamp != nil {
		next, err := c.finalizeDeletion(ctx, app)
		if err != nil {
			return err
		}
		if next > 0 {
			c.queue.AddAfter(key, next)
		}
		return nil
	}

	if app.Operation != nil {
		// The operation workers advance it; the comparison follows its end.
		c.operations.Add(key)
		return nil
	}

	project := c.project(app)
	if end == nil && !request.Requested && c.stillQuiet(ctx, key, app, project) {
		// Nothing the last comparison read changed: it stands (quiet.go).
		return nil
	}
	if c.options.Worked != nil {
		// Before (a quiet server gives its processors back at once) and
		// after (a long comparison counts until its end).
		c.options.Worked()
		defer c.options.Worked()
	}
	epoch := c.epoch(key)
	options := compare.Options{Hard: request.Hard, Push: request.Push, Project: project, ProjectMissing: c.projectMissing(app), ApplicationExists: c.applicationExists, HoldOnOutage: true}
	sourceEpoch := c.sourceEpoch(key)
	recent := end == nil && !request.Requested && c.recentRevisions(key, sourceEpoch, app, &options)
	started := time.Now()
	result := c.comparer.Compare(ctx, app, options)
	if !recent {
		c.sourcesResolved(key, sourceEpoch, started, result)
	}
	if result.Cluster != nil {
		// A refused automated sync is reported as a SyncError condition.
		if decision := autoSyncDecision(app, result); decision.SyncError {
			result.Conditions = append(result.Conditions, v1alpha1.ApplicationCondition{
				Type: v1alpha1.ApplicationConditionSyncError, Message: decision.Reason,
			})
		}
	}
	logHoldTransition(ctx, app, result)
	if end != nil && c.deletionHookFinalizersChange(app, result) {
		// The finalizers are written with the spec, which would clear the
		// operation before its end is recorded: record the end alone first.
		if app, err = c.endOperation(ctx, end.running, end.state, end.phase, end.message); err != nil {
			return err
		}
		end = nil
	}
	app, err = c.ensureDeletionHookFinalizers(ctx, app, result)
	if err != nil {
		return err
	}
	// latest is the Application as stored just now, when this reconcile
	// wrote it last: the automated sync decision then needs no fresh read.
	// An operation that ends in this write is still stored: a next one
	// starts in a write of its own (autoSync), once the end is.
	var start syncengine.AutoSyncDecision
	if end == nil {
		start = c.startWithStatus(app, result)
	}
	if _, requested := app.Annotations[RefreshAnnotation]; requested && start.Operation != nil {
		// The request is answered. Cleared first, so that the status write
		// starting the sync is the last write before the operation's first
		// step, whose own writes then go on top of it.
		cleared, err := c.clearRefreshAnnotation(ctx, app)
		if err != nil {
			c.forgetComparison(key)
			return err
		}
		if cleared != nil {
			app = cleared
		}
	}
	latest, err := c.writeStatusEnding(ctx, app, result, start.Operation, end)
	if err != nil {
		c.forgetComparison(key)
		return err
	}
	if start.Operation != nil {
		if latest.Operation != nil && latest.Status.OperationState != nil {
			c.started(ctx, key, latest, start)
		}
		if start.RequeueAfter > 0 {
			c.queue.AddAfter(key, start.RequeueAfter)
		}
		c.rememberComparison(key, epoch, latest.ResourceVersion, project, result)
		if result.Held != nil {
			return sourceHeld{message: result.Held.Message()}
		}
		return nil
	}
	compared := app.ResourceVersion
	if latest != nil {
		compared = latest.ResourceVersion
	} else if c.progressPending(key) {
		// Not all of this comparison is written: the next refresh compares.
		compared = ""
	}
	if _, requested := app.Annotations[RefreshAnnotation]; requested {
		// Written once more: the next refresh compares, and remembers then.
		latest, compared = nil, ""
		if _, err := c.clearRefreshAnnotation(ctx, app); err != nil {
			c.forgetComparison(key)
			return err
		}
	}
	c.rememberComparison(key, epoch, compared, project, result)
	if result.Cluster == nil {
		message := ""
		if len(result.Conditions) > 0 {
			message = result.Conditions[0].Message
		}
		return comparisonFailed{message: message}
	}
	if err := c.autoSync(ctx, key, app, result, latest); err != nil {
		return err
	}
	if result.Held != nil {
		// Compared with the held revision: look at the source again soon, to
		// move on by itself once it is back.
		return sourceHeld{message: result.Held.Message()}
	}
	return nil
}

// projectMissing tells whether projects are watched and the Application's
// project is not among them.
func (c *Controller) projectMissing(app *v1alpha1.Application) bool {
	if c.projects == nil {
		return false
	}
	_, err := c.projects.Get(projectName(app))
	return apierrors.IsNotFound(err)
}

// project returns the Application's AppProject from the informer, or nil when
// projects are not watched or it does not exist.
func (c *Controller) project(app *v1alpha1.Application) *v1alpha1.AppProject {
	if c.projects == nil {
		return nil
	}
	project, err := c.projects.Get(projectName(app))
	if err != nil {
		return nil
	}
	return project
}

// applicationExists tells whether the Application of an instance
// ("<namespace>_<name>") is in the informer.
func (c *Controller) applicationExists(instance string) bool {
	namespace, name, ok := cluster.ParseAppInstance(instance)
	if !ok {
		return false
	}
	_, err := c.lister.Applications(namespace).Get(name)
	return err == nil
}

// autoSync starts an automated sync when Argo CD's rules call for one.
// latest, when not nil, is the Application as this reconcile stored it.
func (c *Controller) autoSync(ctx context.Context, key string, app *v1alpha1.Application, result compare.Result, latest *v1alpha1.Application) error {
	if result.Cluster == nil {
		return nil
	}
	decision := autoSyncDecision(app, result)
	if decision.RequeueAfter > 0 {
		c.queue.AddAfter(key, decision.RequeueAfter)
	}
	if decision.Operation == nil {
		if decision.SyncError {
			klog.FromContext(ctx).Info("Automated sync skipped", "reason", decision.Reason)
		}
		return nil
	}
	if allowed, reason := c.syncWindowsAllow(app, false, false); !allowed {
		klog.FromContext(ctx).Info("Automated sync prevented by a sync window", "reason", reason)
		c.queue.AddAfter(key, windowRecheck(time.Now()))
		return nil
	}
	// Decide again on the latest copy: the cache may not have the outcome of
	// the last operation yet, and the same revision must not be synced twice.
	// A status this reconcile wrote is that copy: the write succeeded only
	// on the latest resourceVersion.
	fresh := latest
	if fresh == nil {
		var err error
		if fresh, err = c.client.CapstanV1alpha1().Applications(app.Namespace).Get(ctx, app.Name, metav1.GetOptions{}); err != nil {
			return err
		}
	}
	decision = autoSyncDecision(fresh, result)
	if decision.Operation == nil {
		return nil
	}
	updated := fresh.DeepCopy()
	updated.Operation = decision.Operation
	if c.options.Shard != nil {
		// Replicas: the operation's first step claims it (sharding.ClaimOperation).
		if _, err := c.client.CapstanV1alpha1().Applications(app.Namespace).Update(ctx, updated, metav1.UpdateOptions{FieldManager: compare.FieldManager}); err != nil {
			return fmt.Errorf("start an automated sync: %w", err)
		}
		klog.FromContext(ctx).Info("Automated sync started", "reason", decision.Reason)
		return nil
	}
	// One write both requests the sync and records that it started, which
	// the operation's first step would otherwise write next; applications/status
	// lets only capstan-apiserver itself set an operation this way. The
	// written copy goes to the operation workers directly, without waiting
	// for the informer.
	updated.Status.OperationState = newState(decision.Operation)
	written, err := c.client.CapstanV1alpha1().Applications(app.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: compare.FieldManager})
	if err != nil {
		return fmt.Errorf("start an automated sync: %w", err)
	}
	if written.Operation == nil || written.Status.OperationState == nil {
		// Not this server's own write after all (see the status strategy): the
		// operation workers find what there is to do, if anything.
		return nil
	}
	c.started(ctx, key, written, decision)
	return nil
}

// startWithStatus is the automated sync a comparison's status write can
// start at once: one Argo CD's rules call for on app as the informer has it,
// which no sync window holds, with a single replica (replicas take the
// separate write of autoSync; a refresh request is cleared just before the
// write). Writing
// it on app's resourceVersion keeps the rule that one revision is not
// synced twice: a copy that does not show the last operation's end is stale,
// and its write conflicts.
func (c *Controller) startWithStatus(app *v1alpha1.Application, result compare.Result) syncengine.AutoSyncDecision {
	if result.Cluster == nil || c.options.Shard != nil {
		return syncengine.AutoSyncDecision{}
	}
	decision := autoSyncDecision(app, result)
	if decision.Operation == nil {
		return syncengine.AutoSyncDecision{}
	}
	if allowed, _ := c.syncWindowsAllow(app, false, false); !allowed {
		return syncengine.AutoSyncDecision{}
	}
	return decision
}

// started logs and records an automated sync this controller requested and
// recorded as started in one write, and hands the written copy over.
func (c *Controller) started(ctx context.Context, key string, written *v1alpha1.Application, decision syncengine.AutoSyncDecision) {
	klog.FromContext(ctx).Info("Automated sync started", "reason", decision.Reason)
	c.recordOperationStarted(written)
	c.handOff(key, written)
}

// handOff gives the operation workers the Application an automated sync's
// start wrote: the latest copy, so that the operation's next step needs no
// read, and sooner than the informer delivers it.
func (c *Controller) handOff(key string, written *v1alpha1.Application) {
	c.wrote(written)
	c.operations.Add(key)
}

// autoSyncDecision applies Argo CD's automated sync rules to a comparison.
func autoSyncDecision(app *v1alpha1.Application, result compare.Result) syncengine.AutoSyncDecision {
	status := v1alpha1.SyncStatus{Status: result.SyncStatus, Revision: revisionOf(result)}
	if result.Target != nil {
		status.Revisions = result.Target.Revisions
	}
	return syncengine.AutoSync(syncengine.AutoSyncInput{App: app, SyncStatus: status, Resources: result.Resources, Now: time.Now(),
		SourceUnreachable: result.Held != nil})
}

func revisionOf(result compare.Result) string {
	if result.Target == nil {
		return ""
	}
	return result.Target.Revision
}

// logHoldTransition logs, at the default verbosity, when an Application
// starts holding its last resolved revision because a source is unreachable,
// and when it stops; the refreshes in between log at -v=2.
func logHoldTransition(ctx context.Context, app *v1alpha1.Application, result compare.Result) {
	wasHeld := compare.IsHeldCondition(app.Status.Conditions)
	switch {
	case result.Held != nil && !wasHeld:
		klog.FromContext(ctx).Info("Source unreachable: comparing with the last resolved revision until it is back",
			"revision", result.Held.Revision, "revisions", result.Held.Revisions, "err", result.Held.Err)
	case result.Held == nil && wasHeld && result.Target != nil:
		klog.FromContext(ctx).Info("Source reachable again", "revision", result.Target.Revision, "revisions", result.Target.Revisions)
	}
}
