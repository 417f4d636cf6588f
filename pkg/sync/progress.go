package sync

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// updateRunning moves running tasks forward from the live state: a hook
// succeeds when its object is healthy (a Job completed) and fails when it is
// degraded; in a multi-step sync a resource succeeds when healthy (or when
// its kind has no health) and fails when degraded.
//
// The cache may lag behind the last apply and show the previous version of
// an object (an old Job that completed, a Deployment before its update), so
// a task only finishes after the API server confirms it. A task whose object
// is gone fails.
func (s *step) updateRunning(ctx context.Context) error {
	multi := multiStep(s.all)
	var tasks []*Task
	for _, task := range s.all {
		if !task.Prune && s.ledger.running(task) && (task.Hook || multi) {
			tasks = append(tasks, task)
		}
	}
	var (
		mu   sync.Mutex
		errs []error
	)
	s.forEach(tasks, func(task *Task) bool {
		if err := s.updateTask(ctx, task); err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
		return true
	})
	if len(errs) > 0 {
		return fmt.Errorf("read the state of running tasks: %w", errs[0])
	}
	return nil
}

func (s *step) updateTask(ctx context.Context, task *Task) error {
	if live := s.live(task.key); live != nil {
		phase, message, known := s.taskPhase(task, live)
		if !known || phase == v1alpha1.OperationRunning {
			return nil
		}
		if status, err := s.health.Assess(live); err == nil && status == nil {
			// A kind without health succeeds once it exists, which the
			// cached copy shows as well as a fresh one: no request needed.
			s.ledger.setPhase(task, phase, message)
			return nil
		}
		if versions, ok := s.client.(AppliedVersions); ok && versions.NotOlderThanApplied(live) {
			// The cached copy is what the apply returned or newer: its
			// health is that of what was applied.
			s.ledger.setPhase(task, phase, message)
			return nil
		}
	}
	// A healthy cached copy may predate the apply: confirm with a fresh one.
	fresh, err := s.client.Get(ctx, task.key)
	if apierrors.IsNotFound(err) {
		s.ledger.setPhase(task, v1alpha1.OperationFailed,
			fmt.Sprintf("Resource %s is missing, it might have been deleted", task.argoName()))
		return nil
	}
	if err != nil {
		return fmt.Errorf("get %s: %w", task.key, err)
	}
	phase, message, known := s.taskPhase(task, fresh)
	if known && phase != v1alpha1.OperationRunning {
		s.ledger.setPhase(task, phase, message)
	}
	return nil
}

// taskPhase maps an object's health to its task's phase, as Argo CD does.
// Hooks: Healthy or no health is Succeeded, Progressing or Suspended is
// Running, Degraded or Unknown is Failed. Resources: Healthy or no health is
// Succeeded, Degraded is Failed, anything else still Running. known is false
// when health could not be assessed.
func (s *step) taskPhase(task *Task, obj *unstructured.Unstructured) (phase v1alpha1.OperationPhase, message string, known bool) {
	message = s.ledger.message(task)
	status, err := s.health.Assess(obj)
	if err != nil {
		s.log.V(2).Info("Cannot assess the health of a running task", "task", task.String(), "err", err)
		return "", "", false
	}
	if status == nil {
		if task.Hook {
			message = obj.GetName() + " created"
		}
		return v1alpha1.OperationSucceeded, message, true
	}
	if status.Message != "" {
		message = status.Message
	}
	switch status.Status {
	case v1alpha1.HealthStatusHealthy:
		return v1alpha1.OperationSucceeded, message, true
	case v1alpha1.HealthStatusDegraded:
		return v1alpha1.OperationFailed, message, true
	case v1alpha1.HealthStatusUnknown:
		if task.Hook {
			return v1alpha1.OperationFailed, message, true
		}
	}
	return v1alpha1.OperationRunning, message, true
}

// releaseCompletedHooks removes the hook finalizer from hooks that finished:
// their result is recorded, so their objects may go.
func (s *step) releaseCompletedHooks(ctx context.Context) {
	var done []*Task
	for _, task := range s.all {
		if task.Hook && s.ledger.completed(task) && hasHookFinalizer(s.live(task.key)) {
			done = append(done, task)
		}
	}
	s.forEach(done, func(task *Task) bool {
		if err := s.client.RemoveFinalizer(ctx, task.key, HookFinalizer); err != nil {
			s.ledger.setPhase(task, v1alpha1.OperationError, fmt.Sprintf("failed to remove hook finalizer: %v", err))
			return false
		}
		return true
	})
}

// hooksToDelete are the finished hooks, still present, with the policy.
func (s *step) hooksToDelete(policy HookDeletePolicy) []*Task {
	var out []*Task
	for _, task := range s.all {
		if task.Hook && task.hasPolicy(policy) && s.ledger.completed(task) && s.live(task.key) != nil {
			out = append(out, task)
		}
	}
	return out
}

// deleteHooks deletes hooks when the operation ends. A failure is only
// logged: the operation's outcome does not depend on it.
func (s *step) deleteHooks(ctx context.Context, tasks []*Task) {
	s.forEach(tasks, func(task *Task) bool {
		if err := s.deleteHook(ctx, task); err != nil {
			s.log.Info("Deleting a hook failed", "hook", task.key.String(), "err", err)
		}
		return true
	})
}

func (s *step) deleteHook(ctx context.Context, task *Task) error {
	if err := s.client.RemoveFinalizer(ctx, task.key, HookFinalizer); err != nil {
		return err
	}
	err := s.client.Delete(ctx, task.key, DeleteOptions{Propagation: s.plan.Options.PrunePropagationPolicy})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// terminate stops the operation: running hooks are released and deleted (or
// get their final phase if they already finished), and the operation Failed.
func (s *step) terminate(ctx context.Context) (v1alpha1.OperationPhase, string, error) {
	var running []*Task
	for _, task := range s.all {
		if task.Hook && s.ledger.running(task) {
			running = append(running, task)
		}
	}
	failed := s.forEach(running, func(task *Task) bool {
		if err := s.client.RemoveFinalizer(ctx, task.key, HookFinalizer); err != nil {
			s.ledger.setPhase(task, v1alpha1.OperationError, fmt.Sprintf("Failed to remove hook finalizer: %v", err))
			return false
		}
		live, err := s.client.Get(ctx, task.key)
		if apierrors.IsNotFound(err) {
			s.ledger.setPhase(task, v1alpha1.OperationSucceeded, "Deleted")
			return true
		}
		if err != nil {
			s.ledger.setPhase(task, v1alpha1.OperationError, err.Error())
			return false
		}
		if phase, message, known := s.taskPhase(task, live); known && phase != v1alpha1.OperationRunning {
			s.ledger.setPhase(task, phase, message)
			return true
		}
		err = s.client.Delete(ctx, task.key, DeleteOptions{Propagation: s.plan.Options.PrunePropagationPolicy})
		if err != nil && !apierrors.IsNotFound(err) {
			s.ledger.setPhase(task, v1alpha1.OperationFailed, fmt.Sprintf("Failed to delete: %v", err))
			return false
		}
		s.ledger.setPhase(task, v1alpha1.OperationSucceeded, "Deleted")
		return true
	})
	if failed {
		return v1alpha1.OperationError, messageTerminationErrors, nil
	}
	return v1alpha1.OperationFailed, messageTerminated, nil
}

// runningMessage is Argo CD's message while a sync waits:
// "waiting for healthy state of apps/Deployment/web and 2 more resources".
func runningMessage(tasks []*Task, deletion bool) string {
	first := tasks[0]
	waitingFor, more := "completion of hook", "hooks"
	if !first.Hook {
		waitingFor, more = "healthy state of", "resources"
	}
	if deletion {
		waitingFor = "deletion of"
	}
	message := fmt.Sprintf("waiting for %s %s", waitingFor, first.argoName())
	if n := len(tasks) - 1; n > 0 {
		message += fmt.Sprintf(" and %d more %s", n, more)
	}
	return message
}
