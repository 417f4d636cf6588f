package sync

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

// Prune results, worded as Argo CD words them.
const (
	messagePruned          = "pruned"
	messagePrunedDryRun    = "pruned (dry run)"
	messageRequiresPruning = "ignored (requires pruning)"
	messageNoPrune         = "ignored (no prune)"
)

// pruneTasks makes a prune task for every managed live object that is no
// longer a target. Hooks and Skip objects are never pruned, and a selective
// sync prunes only what it selects. Every prune task gets a result: Pruned
// when the operation prunes, PruneSkipped otherwise.
func (p *planner) pruneTasks() []*Task {
	var tasks []*Task
	for key, live := range p.in.Live {
		if p.targetKeys[key] || p.rules.IsHook(live) || p.rules.IsSkip(live) || !p.selected(key) {
			continue
		}
		tasks = append(tasks, &Task{
			Phase:   v1alpha1.SyncPhaseSync,
			Wave:    Wave(live),
			Live:    live,
			Prune:   true,
			Options: ResolveResourceOptions(p.options, live, p.force),
			key:     key,
		})
	}
	return tasks
}

// prunes reports whether the operation really deletes the task's object.
func (p *Plan) prunes(task *Task) bool {
	return p.Prune && task.Options.Prune != PruneDisabled
}

// awaitsConfirmation reports whether a prune waits for deletion-approved.
func (p *Plan) awaitsConfirmation(task *Task) bool {
	return p.prunes(task) && task.Options.Prune == PruneConfirm && !p.PruneConfirmed
}

// prune deletes the task's live object if the operation prunes it. An object
// already being deleted is not deleted again.
func (s *step) prune(ctx context.Context, task *Task, dryRun bool) (v1alpha1.ResultCode, string) {
	switch {
	case !s.plan.Prune:
		return v1alpha1.ResultCodePruneSkipped, messageRequiresPruning
	case task.Options.Prune == PruneDisabled:
		return v1alpha1.ResultCodePruneSkipped, messageNoPrune
	case dryRun:
		return v1alpha1.ResultCodePruned, messagePrunedDryRun
	case task.Live.GetDeletionTimestamp() != nil:
		return v1alpha1.ResultCodePruned, messagePruned
	}
	err := s.client.Delete(ctx, task.key, DeleteOptions{
		Propagation: s.plan.Options.PrunePropagationPolicy,
		UID:         task.Live.GetUID(),
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return v1alpha1.ResultCodeSyncFailed, err.Error()
	}
	return v1alpha1.ResultCodePruned, messagePruned
}

// confirmationMessage is Argo CD's message while prunes wait for confirmation.
func confirmationMessage(tasks []*Task) string {
	first := tasks[0].Live
	message := fmt.Sprintf("Waiting for pruning confirmation of %s/%s/%s", first.GetAPIVersion(), first.GetKind(), first.GetName())
	if more := len(tasks) - 1; more > 0 {
		message += fmt.Sprintf(" and %d more resources", more)
	}
	return message
}

// terminatingPrunes returns the pruned objects still being deleted; the sync
// waits for them before going on.
func (s *step) terminatingPrunes(tasks []*Task) []*Task {
	var out []*Task
	for _, task := range tasks {
		if !task.Prune || s.ledger.status(task) != v1alpha1.ResultCodePruned {
			continue
		}
		if live := s.live(task.key); live != nil && live.GetDeletionTimestamp() != nil {
			out = append(out, task)
		}
	}
	return out
}

func (s *step) live(key cluster.ResourceKey) *unstructured.Unstructured {
	s.mu.Lock()
	applied, ok := s.applied[key]
	s.mu.Unlock()
	if ok {
		return applied
	}
	return s.in.Live[key]
}

// rememberApplied keeps what an apply of this step returned: following the
// task in the same step needs no read.
func (s *step) rememberApplied(key cluster.ResourceKey, obj *unstructured.Unstructured) {
	if obj == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applied == nil {
		s.applied = map[cluster.ResourceKey]*unstructured.Unstructured{}
	}
	s.applied[key] = obj
}
