package sync

import (
	"context"
	"errors"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/health"
)

// DefaultParallelism bounds the API calls made at once within a kind group,
// as Argo CD's --kubectl-parallelism-limit does.
const DefaultParallelism = 20

// Operation messages, worded as Argo CD's.
const (
	messageDryRunFailed        = "one or more objects failed to apply (dry run)"
	messageApplyFailed         = "one or more objects failed to apply"
	messageTasksFailed         = "one or more synchronization tasks completed unsuccessfully"
	messageNamespaceFailed     = "the namespace failed to apply"
	messageSyncFailHooksFailed = "one or more SyncFail hooks failed"
	messageNoMoreTasks         = "successfully synced (no more tasks)"
	messageAllTasksRun         = "successfully synced (all tasks run)"
	messageDryRunSucceeded     = "successfully synced (dry run)"
	messageTerminated          = "Operation terminated"
	messageTerminationErrors   = "Operation termination had errors"
)

// StepInput is everything one step of a sync needs. The step keeps no state
// of its own: where the operation stands is read from Previous and Live.
type StepInput struct {
	// Plan is the operation's plan, computed afresh or kept by the caller.
	Plan *Plan
	// Previous are the results persisted so far (operationState.syncResult.resources).
	Previous v1alpha1.ResourceResults
	// Live are the Application's live objects (hooks included), from the caller's cache.
	Live map[cluster.ResourceKey]*unstructured.Unstructured
	// Client changes the destination cluster.
	Client Applier
	// Health assesses live objects; nil uses health.Assess.
	Health health.Assessor
	// Terminating stops the operation: running hooks are deleted.
	Terminating bool
	// Parallelism bounds concurrent API calls; zero means DefaultParallelism.
	Parallelism int
	// Validator checks objects that do not exist yet against the cluster's
	// schemas before the first apply, without a request each (a client-side
	// dry run, as Argo CD's); nil dry-runs them on the server.
	Validator Validator
}

// Validator checks an object against the cluster's schema of its kind;
// *cluster.SchemaValidator is one. It returns an error wrapping
// cluster.ErrNoSchema when it has no schema for the kind.
type Validator interface {
	Validate(obj *unstructured.Unstructured) error
}

// StepOutput is the outcome of one step. The caller persists Resources (and
// Phase and Message) before the next step, which is what makes a restarted
// process resume where it was.
type StepOutput struct {
	// Phase is Running until the operation Succeeded, Failed or had an Error.
	Phase v1alpha1.OperationPhase
	// Message explains the phase; failures name the objects and reasons.
	Message string
	// Resources are all results so far.
	Resources v1alpha1.ResourceResults
}

// step is one call of Sync.
type step struct {
	in     StepInput
	plan   *Plan
	client Applier
	health health.Assessor
	ledger *ledger
	// all are the plan's tasks and its SyncFail hooks.
	all         []*Task
	parallelism int
	log         klog.Logger

	mu sync.Mutex
	// applied are the objects this step applied, as the API server returned
	// them: newer than the live state the step started from.
	applied map[cluster.ResourceKey]*unstructured.Unstructured
	// unchanged are the objects whose dry run in this step returned them
	// exactly as they are live: applying them changes nothing (see runTasks).
	unchanged map[cluster.ResourceKey]bool
}

// Sync runs one step of a sync operation, Argo CD's step machine: on the
// first step it creates the namespace (CreateNamespace=true) and dry-runs
// every task; then it updates running tasks from the live state, waits while
// any is unfinished, and otherwise applies the next wave — prunes first, then
// hook re-creation, then applies in kind groups. When the last wave is done
// it deletes hooks by their policies and reports Succeeded; on a failure it
// runs the SyncFail hooks and reports Failed. The caller calls Sync again
// when live objects change, until the phase is final.
func Sync(ctx context.Context, in StepInput) (StepOutput, error) {
	if in.Plan == nil || in.Client == nil {
		return StepOutput{}, errors.New("sync step: plan and client are required")
	}
	all := append(append([]*Task(nil), in.Plan.Tasks...), in.Plan.SyncFail...)
	s := &step{
		in:          in,
		plan:        in.Plan,
		client:      in.Client,
		health:      in.Health,
		ledger:      newLedger(in.Previous, all),
		all:         all,
		parallelism: in.Parallelism,
		log:         klog.FromContext(ctx),
	}
	if s.health == nil {
		s.health = HealthFunc(health.Assess)
	}
	if s.parallelism <= 0 {
		s.parallelism = DefaultParallelism
	}
	phase, message, err := s.run(ctx)
	if err != nil {
		return StepOutput{}, err
	}
	return StepOutput{Phase: phase, Message: message, Resources: s.ledger.list()}, nil
}

// HealthFunc adapts a function to health.Assessor.
type HealthFunc func(obj *unstructured.Unstructured) (*v1alpha1.HealthStatus, error)

// Assess calls f.
func (f HealthFunc) Assess(obj *unstructured.Unstructured) (*v1alpha1.HealthStatus, error) {
	return f(obj)
}

func (s *step) run(ctx context.Context) (v1alpha1.OperationPhase, string, error) {
	if s.in.Terminating {
		return s.terminate(ctx)
	}
	if s.plan.Failure != "" {
		for _, task := range s.all {
			if task.Invalid != "" {
				s.ledger.set(task, v1alpha1.ResultCodeSyncFailed, v1alpha1.OperationFailed, task.Invalid)
			}
		}
		return v1alpha1.OperationFailed, s.plan.Failure, nil
	}
	if !s.ledger.started() {
		if phase, message, done := s.begin(ctx); done {
			return phase, message, nil
		}
	}
	if err := s.updateRunning(ctx); err != nil {
		return "", "", err
	}
	if running := s.runningTasks(); len(running) > 0 {
		return v1alpha1.OperationRunning, runningMessage(running, false), nil
	}
	if terminating := s.terminatingPrunes(s.plan.Tasks); len(terminating) > 0 {
		return v1alpha1.OperationRunning, runningMessage(terminating, true), nil
	}
	s.releaseCompletedHooks(ctx)
	succeededHooks, failedHooks := s.hooksToDelete(HookSucceeded), s.hooksToDelete(HookFailed)
	if len(s.failedTasks(s.plan.Tasks)) > 0 {
		s.deleteHooks(ctx, failedHooks)
		return s.fail(ctx, messageTasksFailed)
	}
	pending := s.pendingTasks()
	if len(pending) == 0 {
		s.deleteHooks(ctx, succeededHooks)
		return v1alpha1.OperationSucceeded, messageNoMoreTasks, nil
	}
	wave, remaining := splitWave(pending)
	s.log.V(2).Info("Running sync wave", "phase", wave[0].Phase, "wave", wave[0].Wave, "tasks", len(wave))
	state, message := s.runTasks(ctx, wave, false)
	switch state {
	case stateFailed:
		s.deleteHooks(ctx, failedHooks)
		return s.fail(ctx, messageApplyFailed)
	case statePending:
		return v1alpha1.OperationRunning, message, nil
	}
	if len(remaining) == 0 {
		s.deleteHooks(ctx, succeededHooks)
		return v1alpha1.OperationSucceeded, messageAllTasksRun, nil
	}
	return v1alpha1.OperationRunning, runningMessage(wave, false), nil
}

// begin is the first step: create the namespace, then dry-run every task;
// an operation that is a dry run ends here.
func (s *step) begin(ctx context.Context) (v1alpha1.OperationPhase, string, bool) {
	var tasks []*Task
	for _, task := range s.all {
		if !task.CreatesNamespace {
			tasks = append(tasks, task)
			continue
		}
		if state, _ := s.runTasks(ctx, []*Task{task}, s.plan.DryRun); state == stateFailed {
			return v1alpha1.OperationFailed, s.ledger.reasons(messageNamespaceFailed, []*Task{task}), true
		}
	}
	tasks = s.outOfSyncOnly(tasks)
	if failed := s.dryRun(ctx, tasks); len(failed) > 0 {
		return v1alpha1.OperationFailed, s.ledger.reasons(messageDryRunFailed, failed), true
	}
	if s.plan.DryRun {
		return v1alpha1.OperationSucceeded, messageDryRunSucceeded, true
	}
	return "", "", false
}

// fail reports a failed sync, after running the SyncFail hooks: the first
// failing step starts them, and the operation is Failed once they finished.
func (s *step) fail(ctx context.Context, message string) (v1alpha1.OperationPhase, string, error) {
	message = s.ledger.reasons(message, s.failedTasks(s.plan.Tasks))
	var pending []*Task
	for _, task := range s.plan.SyncFail {
		if !s.ledger.completed(task) {
			pending = append(pending, task)
		}
	}
	if len(pending) == 0 {
		if failed := s.failedTasks(s.plan.SyncFail); len(failed) > 0 {
			message += "\n" + s.ledger.reasons(messageSyncFailHooksFailed, failed)
		}
		return v1alpha1.OperationFailed, message, nil
	}
	s.runTasks(ctx, pending, false)
	return v1alpha1.OperationRunning, message, nil
}

// runningTasks are the tasks the sync waits for: running hooks, and running
// resources when the sync has more than one phase or wave.
func (s *step) runningTasks() []*Task {
	multi := multiStep(s.all)
	var out []*Task
	for _, task := range s.all {
		if (multi || task.Hook) && s.ledger.running(task) {
			out = append(out, task)
		}
	}
	return out
}

// failedTasks are the tasks that finished without success.
func (s *step) failedTasks(tasks []*Task) []*Task {
	var out []*Task
	for _, task := range tasks {
		if s.ledger.completed(task) && !s.ledger.successful(task) {
			out = append(out, task)
		}
	}
	return out
}

// pendingTasks are the tasks not started yet, without those
// ApplyOutOfSyncOnly leaves out.
func (s *step) pendingTasks() []*Task {
	var out []*Task
	for _, task := range s.plan.Tasks {
		if s.ledger.pending(task) {
			out = append(out, task)
		}
	}
	return s.outOfSyncOnly(out)
}

// outOfSyncOnly drops, with ApplyOutOfSyncOnly=true, the resources that exist
// and that the comparison found unmodified. Hooks always run.
func (s *step) outOfSyncOnly(tasks []*Task) []*Task {
	if !s.plan.Options.ApplyOutOfSyncOnly {
		return tasks
	}
	var out []*Task
	for _, task := range tasks {
		outOfSync, known := s.plan.OutOfSync[task.key]
		if !task.Hook && task.Target != nil && task.Live != nil && known && !outOfSync {
			continue
		}
		out = append(out, task)
	}
	return out
}

// splitWave returns the first (phase, wave) of the pending tasks, and what
// remains after it: later waves, and the wave's hooks, which must finish.
func splitWave(pending []*Task) (wave, remaining []*Task) {
	first := pending[0]
	for _, task := range pending {
		same := task.Phase == first.Phase && task.Wave == first.Wave
		if same {
			wave = append(wave, task)
		}
		if !same || task.Hook {
			remaining = append(remaining, task)
		}
	}
	return wave, remaining
}
