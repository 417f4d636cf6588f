package application

import (
	"context"
	"fmt"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/compare"
	syncengine "capstan.dev/capstan/pkg/sync"
)

// operationFallback re-checks a running operation when no watch event came;
// waves normally advance on the events of the objects they wait for.
const operationFallback = 10 * time.Second

// runOperation advances the Application's operation by one step of Argo CD's
// step machine and persists the operation state, so that a restarted server
// resumes where it was. It returns when to look at the operation again: at
// once after it started, operationFallback while it runs (watch events of the
// objects it waits for usually come first), or zero once it has finished.
func (c *Controller) runOperation(ctx context.Context, app *v1alpha1.Application) (time.Duration, error) {
	op := app.Operation
	if op.Sync == nil {
		return 0, c.finishOperation(ctx, app, newState(op), v1alpha1.OperationError, "the operation has no sync")
	}
	state := app.Status.OperationState
	if state == nil || isTerminal(state.Phase) {
		// A new operation: record that it started before doing anything,
		// then go on with the copy just written, the latest there is.
		written, err := c.writeOperationState(ctx, app, newState(op), op)
		if err != nil {
			return 0, err
		}
		c.recordOperationStarted(app)
		if written.Operation == nil || written.Status.OperationState == nil {
			return time.Millisecond, nil
		}
		app, op, state = written, written.Operation, written.Status.OperationState
	}
	logger := klog.FromContext(ctx)
	if c.timedOut(state) {
		logger.Info("Terminating the operation: --sync-timeout passed", "startedAt", state.StartedAt, "timeout", c.options.SyncTimeout)
		state = state.DeepCopy()
		state.Phase = v1alpha1.OperationTerminating
		state.Message = "operation is terminating due to timeout"
		_, err := c.writeOperationState(ctx, app, state, op)
		return time.Millisecond, err
	}

	if state.Phase == v1alpha1.OperationRunning {
		manual := !op.InitiatedBy.Automated
		if allowed, reason := c.syncWindowsAllow(app, manual, state.SyncResult != nil); !allowed {
			// As in Argo CD the operation waits, Running, until a window lets it go.
			message := "Sync operation blocked by sync window: " + reason
			if state.Message == message {
				return windowRecheck(time.Now()), nil
			}
			logger.Info("Operation blocked by a sync window", "reason", reason)
			state = state.DeepCopy()
			state.Message = message
			_, err := c.writeOperationState(ctx, app, state, op)
			return windowRecheck(time.Now()), err
		}
	}

	proj := c.project(app)
	options := compare.Options{Project: proj, ProjectMissing: c.projectMissing(app)}
	if len(app.Spec.Sources) == 0 {
		options.Revision = op.Sync.Revision
	} else if len(op.Sync.Revisions) == len(app.Spec.Sources) && (len(op.Sync.Sources) == 0 || len(op.Sync.Sources) == len(op.Sync.Revisions)) {
		// The revisions an automated sync resolved (or a sync names): an
		// operation never resolves them again, so that it applies what was
		// compared, and a self-heal works while a source is unreachable.
		options.Revisions = op.Sync.Revisions
	}
	// A rollback (or a one-off sync) may name the source(s) to use.
	desired := app
	if op.Sync.Source != nil || len(op.Sync.Sources) > 0 {
		desired = app.DeepCopy()
		if op.Sync.Source != nil {
			desired.Spec.Source = op.Sync.Source.DeepCopy()
		}
		if len(op.Sync.Sources) > 0 {
			desired.Spec.Sources = op.Sync.Sources
		}
	}
	result := c.comparer.Compare(ctx, desired, options)
	if result.Cluster == nil || result.Target == nil {
		message := "comparison failed"
		if len(result.Conditions) > 0 {
			message = result.Conditions[0].Message
		}
		return 0, c.finishOperation(ctx, app, state, v1alpha1.OperationError, message)
	}
	mapper := result.Cluster.Cache.RESTMapper()
	live := result.LiveWithHooks()
	targets := result.AllTargets()
	var appSyncOptions v1alpha1.SyncOptions
	var namespaceMetadata *v1alpha1.ManagedNamespaceMetadata
	if app.Spec.SyncPolicy != nil {
		appSyncOptions = app.Spec.SyncPolicy.SyncOptions
		namespaceMetadata = app.Spec.SyncPolicy.ManagedNamespaceMetadata
	}
	liveNamespace, err := c.liveNamespace(ctx, result, app.Spec.Destination.Namespace)
	if err != nil {
		return operationFallback, err
	}
	plan, err := syncengine.NewPlan(syncengine.PlanInput{
		LiveNamespace: liveNamespace,
		AppNamespace:  app.Namespace, AppName: app.Name,
		DestinationNamespace:     app.Spec.Destination.Namespace,
		Operation:                *op.Sync,
		AppSyncOptions:           appSyncOptions,
		ManagedNamespaceMetadata: namespaceMetadata,
		Targets:                  targets,
		Live:                     live,
		OutOfSync:                result.OutOfSync(),
		IgnoreDifferences:        app.Spec.IgnoreDifferences,
		Revision:                 result.Target.Revision,
		OperationID:              syncengine.OperationID(state.StartedAt.Time),
		PruneConfirmed:           syncengine.DeletionApproved(app.Annotations, state.StartedAt.Time),
		IsNamespaced:             syncengine.IsNamespacedFunc(mapper),
		Refusal:                  refusal(app, proj),
	})
	if err != nil {
		return 0, c.finishOperation(ctx, app, state, v1alpha1.OperationFailed, err.Error())
	}
	applier, err := c.applier(app, proj, result.Cluster)
	if err != nil {
		return 0, c.finishOperation(ctx, app, state, v1alpha1.OperationFailed, err.Error())
	}
	var previous v1alpha1.ResourceResults
	if state.SyncResult != nil {
		previous = state.SyncResult.Resources
	}
	out, err := syncengine.Sync(ctx, syncengine.StepInput{
		Plan:     plan,
		Previous: previous,
		Live:     live,
		Client: rememberingApplier{
			Applier:    applier,
			objects:    result.Cluster.Cache,
			namespaces: result.Cluster.NamespaceIndex,
			remember: func(target, applied *unstructured.Unstructured) error {
				return c.comparer.RememberApplied(app, target, applied)
			},
		},
		Health:      c.comparer.HealthAssessor(),
		Terminating: state.Phase == v1alpha1.OperationTerminating,
		Validator:   result.Cluster.Schemas,
	})
	if err != nil {
		return 0, c.finishOperation(ctx, app, state, v1alpha1.OperationError, err.Error())
	}
	state = state.DeepCopy()
	state.SyncResult = syncResult(app, result, out.Resources)
	if isTerminal(out.Phase) {
		if out.Phase == v1alpha1.OperationFailed && syncengine.RetryAllowed(op.Retry, state.RetryCount) {
			logger.Info("Sync failed, retrying", "message", out.Message, "retry", state.RetryCount+1)
			state.RetryCount++
			state.Phase = v1alpha1.OperationRunning
			state.Message = fmt.Sprintf("Retrying attempt #%d: %s", state.RetryCount, out.Message)
			state.SyncResult = nil
			delay, err := syncengine.RetryBackoff(op.Retry, state.RetryCount)
			if err != nil {
				return 0, c.finishOperation(ctx, app, state, v1alpha1.OperationFailed, fmt.Sprintf("%s; retry: %v", out.Message, err))
			}
			_, err = c.writeOperationState(ctx, app, state, op)
			return delay, err
		}
		// The comparison that follows writes the end with its status
		// (advanceOperation): one write where there were two.
		c.pendEnd(&operationEnd{running: app, state: state, phase: out.Phase, message: out.Message})
		return 0, nil
	}
	state.Phase = out.Phase
	state.Message = out.Message
	_, err = c.writeOperationState(ctx, app, state, op)
	return c.untilTimeout(state, operationFallback), err
}

// timedOut tells whether a running operation has run longer than --sync-timeout.
func (c *Controller) timedOut(state *v1alpha1.OperationState) bool {
	return c.options.SyncTimeout > 0 && state.Phase == v1alpha1.OperationRunning &&
		time.Since(state.StartedAt.Time) > c.options.SyncTimeout
}

// untilTimeout shortens next so that a running operation is looked at again
// when --sync-timeout passes.
func (c *Controller) untilTimeout(state *v1alpha1.OperationState, next time.Duration) time.Duration {
	if c.options.SyncTimeout <= 0 || state.Phase != v1alpha1.OperationRunning {
		return next
	}
	remaining := time.Until(state.StartedAt.Add(c.options.SyncTimeout)) + time.Millisecond
	return max(min(next, remaining), time.Millisecond)
}

func newState(op *v1alpha1.Operation) *v1alpha1.OperationState {
	return &v1alpha1.OperationState{
		Operation: *op.DeepCopy(),
		Phase:     v1alpha1.OperationRunning,
		Message:   "Sync operation started",
		StartedAt: metav1.Now(),
	}
}

func isTerminal(phase v1alpha1.OperationPhase) bool {
	return phase == v1alpha1.OperationSucceeded || phase == v1alpha1.OperationFailed || phase == v1alpha1.OperationError
}

func syncResult(app *v1alpha1.Application, result compare.Result, resources v1alpha1.ResourceResults) *v1alpha1.SyncOperationResult {
	out := &v1alpha1.SyncOperationResult{Resources: resources, Revision: result.Target.Revision, Revisions: result.Target.Revisions}
	if app.Spec.Source != nil {
		out.Source = *app.Spec.Source
	}
	out.Sources = app.Spec.Sources
	return out
}

// writeOperationState persists a running operation's state, keeping operation
// set, and returns the Application as written.
func (c *Controller) writeOperationState(ctx context.Context, app *v1alpha1.Application, state *v1alpha1.OperationState, op *v1alpha1.Operation) (*v1alpha1.Application, error) {
	updated := app.DeepCopy()
	updated.Operation = op
	updated.Status.OperationState = state
	written, err := c.client.CapstanV1alpha1().Applications(app.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: compare.FieldManager})
	if err != nil {
		return nil, fmt.Errorf("persist the operation state: %w", err)
	}
	c.wrote(written)
	return written, nil
}

// finishOperation records the outcome, clears the operation in the same write
// (as Argo CD's controller does) and appends history after a successful sync.
func (c *Controller) finishOperation(ctx context.Context, app *v1alpha1.Application, state *v1alpha1.OperationState, phase v1alpha1.OperationPhase, message string) error {
	_, err := c.endOperation(ctx, app, state, phase, message)
	return err
}

// endOperation is finishOperation returning the Application as written.
func (c *Controller) endOperation(ctx context.Context, app *v1alpha1.Application, state *v1alpha1.OperationState, phase v1alpha1.OperationPhase, message string) (*v1alpha1.Application, error) {
	end := &operationEnd{running: app, state: state, phase: phase, message: message}
	written, err := c.client.CapstanV1alpha1().Applications(app.Namespace).UpdateStatus(ctx, end.ended(), metav1.UpdateOptions{FieldManager: compare.FieldManager})
	if err != nil {
		return nil, fmt.Errorf("record the operation's end: %w", err)
	}
	c.wrote(written)
	c.operationEnded(ctx, end)
	return written, nil
}

// operationEnd is an operation's outcome before it is written: by
// endOperation, or by the comparison that follows the operation's last step,
// with the comparison's status in the same write (reconcileEnding).
type operationEnd struct {
	// running is the Application as stored, its operation still running.
	running *v1alpha1.Application
	state   *v1alpha1.OperationState
	phase   v1alpha1.OperationPhase
	message string
	// written is set once a write recorded the end.
	written bool
	// app is what ended returns, made once.
	app *v1alpha1.Application
}

// ended is running as the end leaves it: the outcome recorded and the
// operation cleared in the same write (as Argo CD's controller does), with
// history appended after a successful sync. The caller may not modify it.
func (e *operationEnd) ended() *v1alpha1.Application {
	if e.app != nil {
		return e.app
	}
	state := e.state.DeepCopy()
	now := metav1.Now()
	state.Phase = e.phase
	state.Message = e.message
	state.FinishedAt = &now
	updated := e.running.DeepCopy()
	updated.Operation = nil
	updated.Status.OperationState = state
	if e.phase == v1alpha1.OperationSucceeded && !state.Operation.Sync.DryRun {
		updated.Status.History = syncengine.AppendHistory(updated.Status.History, syncengine.HistoryEntry(state, now), e.running.Spec.RevisionHistoryLimit)
	}
	e.app = updated
	return updated
}

// operationEnded logs, counts and records as an Event an end just written.
func (c *Controller) operationEnded(ctx context.Context, end *operationEnd) {
	end.written = true
	klog.FromContext(ctx).Info("Operation finished", "phase", end.phase, "message", end.message)
	countOperation(end.phase)
	c.recordOperationFinished(end.running, end.phase, end.message)
}

// pendEnd keeps the end of an operation's last step for advanceOperation.
func (c *Controller) pendEnd(end *operationEnd) {
	c.mu.Lock()
	if c.pendingEnds == nil {
		c.pendingEnds = map[string]*operationEnd{}
	}
	c.pendingEnds[end.running.Namespace+"/"+end.running.Name] = end
	c.mu.Unlock()
}

// takeEnd returns, once, the end pendEnd kept for app.
func (c *Controller) takeEnd(app *v1alpha1.Application) *operationEnd {
	key := app.Namespace + "/" + app.Name
	c.mu.Lock()
	defer c.mu.Unlock()
	end := c.pendingEnds[key]
	delete(c.pendingEnds, key)
	return end
}

// liveNamespace reads the destination namespace, nil when it does not exist,
// so that CreateNamespace=true only creates or updates it when needed.
func (c *Controller) liveNamespace(ctx context.Context, result compare.Result, namespace string) (*unstructured.Unstructured, error) {
	if namespace == "" {
		return nil, nil
	}
	if live, known := result.Cluster.NamespaceIndex.Get(namespace); known {
		return live, nil
	}
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	obj, err := result.Cluster.Dynamic.Resource(gvr).Get(ctx, namespace, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get namespace %s: %w", namespace, err)
	}
	return obj, nil
}

// newerThan tells whether a was written after b, by their resourceVersions
// (etcd revisions of the same store, as this server writes them); false when
// either is not a number.
func newerThan(a, b *v1alpha1.Application) bool {
	av, errA := strconv.ParseUint(a.ResourceVersion, 10, 64)
	bv, errB := strconv.ParseUint(b.ResourceVersion, 10, 64)
	return errA == nil && errB == nil && av > bv
}

// operationCopy returns the Application whose operation is to advance: the
// copy an automated sync's start handed over (refresh.go), or the informer's
// copy when it holds an operation not started yet (the first step writes the
// start with that copy's resourceVersion before anything else, so a stale
// copy ends in a conflict, never in a step taken twice). Any other step reads
// the latest copy from the server.
func (c *Controller) operationCopy(ctx context.Context, namespace, name string) (*v1alpha1.Application, error) {
	// The informer's copy, or what this controller wrote since, is at least
	// the last step's write: someone else's later write makes this step's
	// write conflict, and the step is taken again on a copy read then.
	return c.current(ctx, namespace, name)
}

func (c *Controller) operationWorker(ctx context.Context) {
	for c.processNextOperation(ctx) {
	}
}

func (c *Controller) processNextOperation(ctx context.Context) bool {
	key, quit := c.operations.Get()
	if quit {
		return false
	}
	defer c.operations.Done(key)
	if c.options.Worked != nil {
		// Before and after, as a comparison (refresh).
		c.options.Worked()
		defer c.options.Worked()
	}
	next, err := c.advanceOperation(ctx, key)
	if apierrors.IsConflict(err) {
		// Written by someone else meanwhile: take the step again on the latest copy.
		klog.FromContext(ctx).V(2).Info("Operation step conflicted; retrying on the latest copy", "application", key, "err", err)
		c.conflicted(key)
		c.operations.AddRateLimited(key)
		return true
	}
	if err != nil {
		klog.FromContext(ctx).Error(err, "Advancing the operation failed", "application", key)
		c.operations.AddRateLimited(key)
		return true
	}
	c.operations.Forget(key)
	if next > 0 {
		c.operations.AddAfter(key, next)
	}
	return true
}

// advanceOperation takes one step of key's operation on the latest copy of the
// Application: a step taken on a stale copy would redo work (and delete hooks
// it just created). When the operation has ended, the Application is compared
// again. It returns when to look at the operation again, zero for never.
func (c *Controller) advanceOperation(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	app, err := c.operationCopy(ctx, namespace, name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if app.Operation == nil || app.DeletionTimestamp != nil {
		// Compare once the informer has caught up with the operation's end.
		c.changed(key)
		c.queue.AddAfter(key, 100*time.Millisecond)
		return 0, nil
	}
	ctx = klog.NewContext(ctx, klog.FromContext(ctx).WithValues("application", key))
	if c.options.Shard != nil {
		// Exactly one replica runs an operation: the one whose claim the
		// Application records (see Shard).
		var claimed bool
		if app, claimed, err = c.options.Shard.ClaimOperation(ctx, app); err != nil || !claimed {
			return 0, err
		}
	}
	// An operation changes what the next comparison sees.
	c.changed(key)
	next, err := c.runOperation(ctx, app)
	end := c.takeEnd(app)
	if err != nil {
		return 0, err
	}
	if end != nil {
		// Publish the outcome now rather than behind every refresh already
		// queued (during a cold start of many Applications that queue is
		// long), and in the same write as the end: the comparison of the
		// objects the operation just applied needs no request (the cache
		// has what the applies returned).
		if !c.mine(end.ended()) {
			// Its owner compares it: the end of the operation refreshes it there.
			_, err := c.endOperation(ctx, end.running, end.state, end.phase, end.message)
			return 0, err
		}
		err := c.reconcileEnding(ctx, key, end.running, end)
		if !end.written {
			// Not recorded: the operation is still running as stored, and
			// its step is taken again.
			if err == nil {
				err = fmt.Errorf("the end of the operation was not written")
			}
			return 0, err
		}
		if err != nil {
			c.queue.Add(key)
		}
		return 0, nil
	}
	if next == 0 {
		// Publish the outcome now, on the latest copy, rather than behind
		// every refresh already queued.
		fresh, err := c.client.CapstanV1alpha1().Applications(namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return 0, nil
		}
		if err != nil || fresh.Operation != nil {
			c.queue.Add(key)
			return 0, err
		}
		if !c.mine(fresh) {
			// Its owner compares it: the end of the operation refreshes it there.
			return 0, nil
		}
		if err := c.reconcile(ctx, key, fresh); err != nil {
			c.queue.Add(key)
		}
	}
	return next, nil
}
