package sync

import (
	"context"
	"fmt"
	"slices"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// runState is the outcome of running a group of tasks.
type runState int

const (
	stateSuccessful runState = iota
	// statePending means the tasks could not start yet (hooks being deleted,
	// prunes awaiting confirmation); the next step tries again.
	statePending
	stateFailed
)

// runTasks runs one wave, as Argo CD's runTasks does: stale hook finalizers
// are removed, prunes run first (or wait for confirmation), hooks with
// BeforeHookCreation are deleted (the wave then waits for them to be gone),
// and finally objects are applied in groups of consecutive same kind, each
// group in parallel. A failed group stops the wave.
func (s *step) runTasks(ctx context.Context, tasks []*Task, dryRun bool) (runState, string) {
	dryRun = dryRun || s.plan.DryRun
	var prunes, applies []*Task
	for _, task := range tasks {
		if task.Prune {
			prunes = append(prunes, task)
		} else {
			applies = append(applies, task)
		}
	}
	if !dryRun && !s.releaseStaleHooks(ctx, applies) {
		return stateFailed, ""
	}
	var unconfirmed []*Task
	for _, task := range prunes {
		if s.plan.awaitsConfirmation(task) {
			unconfirmed = append(unconfirmed, task)
		}
	}
	if len(unconfirmed) > 0 {
		return statePending, confirmationMessage(unconfirmed)
	}
	failed := s.forEach(prunes, func(task *Task) bool {
		status, message := s.prune(ctx, task, dryRun)
		s.ledger.set(task, status, resultPhase(status, dryRun), message)
		return status != v1alpha1.ResultCodeSyncFailed
	})
	if failed {
		return stateFailed, ""
	}
	if !dryRun {
		if state, message := s.recreateHooks(ctx, applies); state != stateSuccessful {
			return state, message
		}
	}
	for _, group := range s.applyGroups(applies, dryRun) {
		failed := s.forEach(group, func(task *Task) bool {
			status, message := s.apply(ctx, task, dryRun)
			s.ledger.set(task, status, resultPhase(status, dryRun), message)
			return status != v1alpha1.ResultCodeSyncFailed
		})
		if failed {
			return stateFailed, ""
		}
	}
	return stateSuccessful, ""
}

// applyGroups splits a wave's applies into the groups run one after another:
// consecutive tasks of the same kind, as Argo CD groups them. A group whose
// objects this step's dry run found unchanged (applying them changes nothing)
// does not wait on its own: it joins the next group that changes something,
// or the last group. Every object is still applied, and never before a change
// that Argo CD's order puts ahead of it; what the order protects (a namespace,
// a CRD or a ServiceAccount there before what needs it) holds for an object
// that already exists as applied. A sync that changes one object among
// unchanged ones of earlier kinds (a commit that changes one file) thus
// reaches it in one round trip instead of one per kind.
func (s *step) applyGroups(applies []*Task, dryRun bool) [][]*Task {
	var groups [][]*Task
	var waiting []*Task
	for start := 0; start < len(applies); {
		end := start + 1
		for end < len(applies) && applies[end].key.Kind == applies[start].key.Kind {
			end++
		}
		group := applies[start:end]
		start = end
		if !dryRun && !slices.ContainsFunc(group, s.changes) {
			waiting = append(waiting, group...)
			continue
		}
		if len(waiting) > 0 {
			group = append(waiting, group...)
			waiting = nil
		}
		groups = append(groups, group)
	}
	if len(waiting) > 0 {
		groups = append(groups, waiting)
	}
	return groups
}

// resultPhase is the hookPhase a result starts with: an applied object runs
// until its health (or completion) says otherwise, a dry run is done at once.
func resultPhase(status v1alpha1.ResultCode, dryRun bool) v1alpha1.OperationPhase {
	switch {
	case status == v1alpha1.ResultCodeSyncFailed:
		return v1alpha1.OperationFailed
	case status == v1alpha1.ResultCodeSynced && !dryRun:
		return v1alpha1.OperationRunning
	default:
		return v1alpha1.OperationSucceeded
	}
}

// releaseStaleHooks removes the hook finalizer from existing instances of
// hooks about to run, left by an earlier operation, so that they can be deleted.
func (s *step) releaseStaleHooks(ctx context.Context, tasks []*Task) bool {
	var stale []*Task
	for _, task := range tasks {
		if task.Hook && hasHookFinalizer(s.existing(ctx, task)) {
			stale = append(stale, task)
		}
	}
	return !s.forEach(stale, func(task *Task) bool {
		if err := s.client.RemoveFinalizer(ctx, task.key, HookFinalizer); err != nil {
			s.ledger.set(task, "", v1alpha1.OperationError, fmt.Sprintf("failed to remove hook finalizer: %v", err))
			return false
		}
		return true
	})
}

// recreateHooks deletes the existing instances of BeforeHookCreation hooks;
// the wave then waits until they are gone and creates them on a later step.
func (s *step) recreateHooks(ctx context.Context, tasks []*Task) (runState, string) {
	var existing []*Task
	for _, task := range tasks {
		if task.Hook && task.hasPolicy(BeforeHookCreation) && s.existing(ctx, task) != nil {
			existing = append(existing, task)
		}
	}
	if len(existing) == 0 {
		return stateSuccessful, ""
	}
	failed := s.forEach(existing, func(task *Task) bool {
		err := s.client.Delete(ctx, task.key, DeleteOptions{Propagation: s.plan.Options.PrunePropagationPolicy})
		if err != nil && !apierrors.IsNotFound(err) {
			s.ledger.set(task, "", v1alpha1.OperationError, fmt.Sprintf("failed to delete resource: %v", err))
			return false
		}
		return true
	})
	if failed {
		return stateFailed, ""
	}
	return statePending, runningMessage(existing, true)
}

// existing returns the live instance of a pending hook. The cache may lag
// behind a hook created or deleted a moment ago, so the API server decides
// when the cache has none.
func (s *step) existing(ctx context.Context, task *Task) *unstructured.Unstructured {
	if !s.ledger.pending(task) {
		return nil
	}
	if live := s.live(task.key); live != nil {
		return live
	}
	if !task.Hook {
		return nil
	}
	live, err := s.client.Get(ctx, task.key)
	if err != nil {
		return nil
	}
	return live
}

// apply applies one task's target.
func (s *step) apply(ctx context.Context, task *Task, dryRun bool) (v1alpha1.ResultCode, string) {
	applied, err := s.client.Apply(ctx, task.Target, s.applyOptions(task, dryRun))
	if err != nil {
		return v1alpha1.ResultCodeSyncFailed, err.Error()
	}
	if !dryRun {
		s.rememberApplied(task.key, applied.Object)
	}
	message := kubectlName(task.Target) + " " + applied.Verb
	if dryRun {
		message += " (dry run)"
	}
	return v1alpha1.ResultCodeSynced, message
}

func (s *step) applyOptions(task *Task, dryRun bool) ApplyOptions {
	return ApplyOptions{
		DryRun:          dryRun,
		ServerSide:      task.Options.ServerSideApply,
		Replace:         task.Options.Replace,
		Force:           task.Options.Force,
		Validate:        task.Options.Validate,
		Live:            s.live(task.key),
		MigrateManagers: task.MigrateManagers,
	}
}

// forEach runs fn for every task, at most parallelism at once, and reports
// whether any call failed.
func (s *step) forEach(tasks []*Task, fn func(*Task) bool) (failed bool) {
	var mu sync.Mutex
	parallel(len(tasks), s.parallelism, func(i int) {
		if !fn(tasks[i]) {
			mu.Lock()
			failed = true
			mu.Unlock()
		}
	})
	return failed
}

// parallel calls fn(0..n-1), at most limit at once, and waits for all.
func parallel(n, limit int, fn func(i int)) {
	if n == 1 {
		fn(0)
		return
	}
	var wg sync.WaitGroup
	slot := make(chan struct{}, max(limit, 1))
	for i := range n {
		wg.Add(1)
		slot <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slot }()
			fn(i)
		}()
	}
	wg.Wait()
}
