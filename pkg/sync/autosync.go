package sync

import (
	"fmt"
	"reflect"
	"time"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// SelfHealBackoff spaces self-heal syncs of the same revision: the n-th
// consecutive attempt waits Duration·Factor^(n-1), capped at Cap, after the
// previous sync finished. Attempts count again from zero once a sync
// succeeded and Cooldown passed without another one.
type SelfHealBackoff struct {
	Duration time.Duration
	Factor   float64
	Cap      time.Duration
	Cooldown time.Duration
}

// DefaultSelfHealBackoff is Argo CD's: 2 s, factor 3, capped at 300 s, with a
// cooldown of 330 s.
var DefaultSelfHealBackoff = SelfHealBackoff{Duration: 2 * time.Second, Factor: 3, Cap: 300 * time.Second, Cooldown: 330 * time.Second}

// AutoSyncInput is what the automated sync decision reads.
type AutoSyncInput struct {
	// App is the Application as stored (spec, operation, operationState).
	App *v1alpha1.Application
	// SyncStatus is the result of the comparison that was just made.
	SyncStatus v1alpha1.SyncStatus
	// Resources are the compared resources with their sync status.
	Resources []v1alpha1.ResourceStatus
	// SkipRevisionComparison is true when the new revision did not touch the
	// Application's paths: the last attempt is then judged by source only.
	SkipRevisionComparison bool
	// Now is the current time.
	Now time.Time
	// SelfHealBackoff spaces self-heals; nil means DefaultSelfHealBackoff.
	SelfHealBackoff *SelfHealBackoff
	// SelfHealTimeout, when set, replaces the backoff by a fixed wait after
	// the last sync (Argo CD's --self-heal-timeout-seconds).
	SelfHealTimeout time.Duration
	// SourceUnreachable is true when a source could not be reached and the
	// comparison was made with the last resolved revision: the sync it
	// starts reverts drift to that revision but prunes nothing.
	SourceUnreachable bool
}

// AutoSyncDecision is the outcome of the automated sync decision.
type AutoSyncDecision struct {
	// Operation is the sync to start; nil when there is none.
	Operation *v1alpha1.Operation
	// Reason says why (not); it reads well in a log line or a condition.
	Reason string
	// SyncError is true when Reason is to be reported as a SyncError condition.
	SyncError bool
	// RequeueAfter, when set, is when the decision should be made again
	// (self-heal backoff).
	RequeueAfter time.Duration
}

// AutoSync is Argo CD's automated sync decision, with its guards in their
// exact order: automated sync off; an operation in progress or the
// Application being deleted; status not OutOfSync; only prunes pending without
// automated prune; the same revision and source already attempted (a failure
// is never retried, a success only by self-heal under a backoff, syncing only
// the resources that are not synced); all resources to be pruned without
// allowEmpty. The operation carries initiatedBy.automated and the
// Application's retry strategy, or a limit of 5.
func AutoSync(in AutoSyncInput) AutoSyncDecision {
	app := in.App
	policy := app.Spec.SyncPolicy
	switch {
	case !policy.IsAutomatedSyncEnabled():
		return AutoSyncDecision{Reason: "automated sync is disabled"}
	case app.Operation != nil:
		return AutoSyncDecision{Reason: "another operation is in progress"}
	case app.DeletionTimestamp != nil:
		return AutoSyncDecision{Reason: "deletion in progress"}
	case in.SyncStatus.Status != v1alpha1.SyncStatusCodeOutOfSync:
		return AutoSyncDecision{Reason: fmt.Sprintf("application status is %s", in.SyncStatus.Status)}
	case !policy.Automated.Prune && onlyPrunesPending(in.Resources):
		return AutoSyncDecision{Reason: "need to prune extra resources only but automated prune is disabled"}
	case in.SourceUnreachable && onlyPrunesPending(in.Resources):
		return AutoSyncDecision{Reason: "need to prune extra resources only but a source is unreachable: nothing is pruned until it is back"}
	}

	desired := []string{in.SyncStatus.Revision}
	op := &v1alpha1.Operation{
		Sync: &v1alpha1.SyncOperation{
			Revision:    in.SyncStatus.Revision,
			Revisions:   in.SyncStatus.Revisions,
			Prune:       policy.Automated.Prune,
			SyncOptions: policy.SyncOptions,
			Sources:     app.Spec.Sources,
		},
		InitiatedBy: v1alpha1.OperationInitiator{Automated: true},
		Retry:       v1alpha1.RetryStrategy{Limit: v1alpha1.DefaultAutomatedSyncRetryLimit},
	}
	if app.Spec.HasMultipleSources() {
		desired = in.SyncStatus.Revisions
	} else {
		source := appSource(app)
		op.Sync.Source = &source
	}
	if policy.Retry != nil {
		op.Retry = *policy.Retry
	}
	if in.SourceUnreachable {
		// Held on to the last resolved revision: what it no longer renders
		// may be what a commit never seen restores, so nothing is pruned.
		op.Sync.Prune = false
	}

	attempted, lastRevisions, lastPhase := alreadyAttempted(app, desired, !in.SkipRevisionComparison)
	if attempted {
		if lastPhase != v1alpha1.OperationSucceeded {
			return AutoSyncDecision{SyncError: true,
				Reason: fmt.Sprintf("Failed last sync attempt to %s: %s", lastRevisions, app.Status.OperationState.Message)}
		}
		if !policy.Automated.SelfHeal {
			return AutoSyncDecision{Reason: fmt.Sprintf("most recent sync already to %s", desired)}
		}
		backoff := DefaultSelfHealBackoff
		if in.SelfHealBackoff != nil {
			backoff = *in.SelfHealBackoff
		}
		state := app.Status.OperationState
		if !cooldownElapsed(state, backoff, in.Now) && state != nil && state.Operation.Sync != nil {
			op.Sync.SelfHealAttemptsCount = state.Operation.Sync.SelfHealAttemptsCount
		}
		if wait := remainingSelfHealWait(state, backoff, in.SelfHealTimeout, op.Sync.SelfHealAttemptsCount, in.Now); wait > 0 {
			return AutoSyncDecision{RequeueAfter: wait,
				Reason: fmt.Sprintf("already attempted sync to %s (self-heal retrying in %s)", lastRevisions, wait)}
		}
		op.Sync.SelfHealAttemptsCount++
		for _, resource := range in.Resources {
			if resource.Status != v1alpha1.SyncStatusCodeSynced {
				op.Sync.Resources = append(op.Sync.Resources, v1alpha1.SyncOperationResource{
					Group: resource.Group, Kind: resource.Kind, Name: resource.Name,
				})
			}
		}
	}

	if op.Sync.Prune && !policy.Automated.AllowEmpty && allRequirePruning(in.Resources) {
		return AutoSyncDecision{SyncError: true,
			Reason: fmt.Sprintf("Skipping sync attempt to %s: auto-sync will wipe out all resources", desired)}
	}
	return AutoSyncDecision{Operation: op, Reason: fmt.Sprintf("initiated automated sync to %s", desired)}
}

func onlyPrunesPending(resources []v1alpha1.ResourceStatus) bool {
	for _, resource := range resources {
		if resource.Status != v1alpha1.SyncStatusCodeSynced && !resource.RequiresPruning {
			return false
		}
	}
	return true
}

func allRequirePruning(resources []v1alpha1.ResourceStatus) bool {
	for _, resource := range resources {
		if !resource.RequiresPruning {
			return false
		}
	}
	return true
}

// appSource is the single source of an Application: spec.source, or the first
// of spec.sources.
func appSource(app *v1alpha1.Application) v1alpha1.ApplicationSource {
	if app.Spec.Source != nil {
		return *app.Spec.Source
	}
	if len(app.Spec.Sources) > 0 {
		return app.Spec.Sources[0]
	}
	return v1alpha1.ApplicationSource{}
}

// alreadyAttempted reports whether the last sync was to the desired revisions
// (when compareRevisions) and the same sources, and how it ended.
func alreadyAttempted(app *v1alpha1.Application, desired []string, compareRevisions bool) (bool, []string, v1alpha1.OperationPhase) {
	state := app.Status.OperationState
	if state == nil {
		return false, nil, ""
	}
	result := state.SyncResult
	if result == nil {
		// Completed without a result: most likely an error, retried already.
		return state.Phase.IsCompleted(), nil, state.Phase
	}
	last := []string{result.Revision}
	if app.Spec.HasMultipleSources() {
		last = result.Revisions
	}
	if compareRevisions && !reflect.DeepEqual(last, desired) {
		return false, last, state.Phase
	}
	if app.Spec.HasMultipleSources() {
		return reflect.DeepEqual(app.Spec.Sources, result.Sources), last, state.Phase
	}
	return reflect.DeepEqual(appSource(app), result.Source), last, state.Phase
}

// cooldownElapsed reports whether self-heal attempts count from zero again:
// the last operation succeeded long enough ago (or none finished yet).
func cooldownElapsed(state *v1alpha1.OperationState, backoff SelfHealBackoff, now time.Time) bool {
	if state == nil || state.FinishedAt == nil {
		return true
	}
	return now.Sub(state.FinishedAt.Time) >= backoff.Cooldown && state.Phase == v1alpha1.OperationSucceeded
}

// remainingSelfHealWait is how long a self-heal must still wait after the last
// operation finished, given the attempts made so far.
func remainingSelfHealWait(state *v1alpha1.OperationState, backoff SelfHealBackoff, timeout time.Duration, attempts int64, now time.Time) time.Duration {
	if state == nil {
		return 0
	}
	wait := timeout
	if timeout <= 0 {
		wait = SelfHealDelay(backoff, attempts)
	}
	if state.FinishedAt != nil {
		wait -= now.Sub(state.FinishedAt.Time)
	}
	return wait
}

// SelfHealDelay is the wait before self-heal attempt attempts+1: none before
// the first, then Duration, Duration·Factor, … capped at Cap.
func SelfHealDelay(backoff SelfHealBackoff, attempts int64) time.Duration {
	if attempts <= 0 {
		return 0
	}
	delay := backoff.Duration
	for i := int64(1); i < attempts; i++ {
		delay = time.Duration(float64(delay) * backoff.Factor)
		if backoff.Cap > 0 && delay > backoff.Cap {
			return backoff.Cap
		}
	}
	return delay
}
