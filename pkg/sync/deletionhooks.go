package sync

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/health"
)

// DeletionHooksInput is what running PreDelete or PostDelete hooks reads.
type DeletionHooksInput struct {
	// Hooks are Plan.PreDelete or Plan.PostDelete.
	Hooks []*Task
	// Live are the Application's live objects, hooks included.
	Live map[cluster.ResourceKey]*unstructured.Unstructured
	// Client changes the destination cluster.
	Client Applier
	// Health assesses hooks; nil uses health.Assess.
	Health health.Assessor
}

// DeletionHooksState is where a set of deletion hooks stands.
type DeletionHooksState struct {
	// Done is true when every hook completed successfully.
	Done bool
	// Failed is true when a hook failed; Message names them. The failed hooks
	// are deleted so that the next attempt runs them again.
	Failed bool
	// Message explains what the hooks wait for or why they failed.
	Message string
}

// RunDeletionHooks runs PreDelete (before an Application's objects are
// deleted) or PostDelete hooks (after), as Argo CD does: hooks that do not
// exist are created, and the caller calls again until all are healthy. A
// degraded hook fails the deletion, which the caller reports as DeletionError.
func RunDeletionHooks(ctx context.Context, in DeletionHooksInput) (DeletionHooksState, error) {
	assess := healthOf(in.Health)
	created := 0
	for _, hook := range in.Hooks {
		if deletionHookLive(ctx, in, hook) != nil {
			continue
		}
		if _, err := in.Client.Apply(ctx, hook.Target, ApplyOptions{ServerSide: true, Validate: hook.Options.Validate}); err != nil {
			return DeletionHooksState{}, fmt.Errorf("create %s hook %s: %w", hook.Phase, hook.key, err)
		}
		created++
	}
	if created > 0 {
		return DeletionHooksState{Message: fmt.Sprintf("created %d %s hooks", created, hookPhaseName(in.Hooks))}, nil
	}
	var progressing int
	var failed []*Task
	for _, hook := range in.Hooks {
		status, _ := assess.Assess(deletionHookLive(ctx, in, hook))
		switch {
		case status == nil || status.Status == v1alpha1.HealthStatusHealthy:
		case status.Status == v1alpha1.HealthStatusDegraded:
			failed = append(failed, hook)
		default:
			progressing++
		}
	}
	if len(failed) > 0 {
		var names []string
		for _, hook := range failed {
			names = append(names, hook.key.Namespace+"/"+hook.key.Name)
			if err := in.Client.Delete(ctx, hook.key, DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return DeletionHooksState{}, fmt.Errorf("delete failed hook %s: %w", hook.key, err)
			}
		}
		return DeletionHooksState{Failed: true, Message: fmt.Sprintf("%s hook(s) failed: %s", hookPhaseName(in.Hooks), strings.Join(names, ", "))}, nil
	}
	if progressing > 0 {
		return DeletionHooksState{Message: fmt.Sprintf("waiting for %d %s hooks to complete", progressing, hookPhaseName(in.Hooks))}, nil
	}
	return DeletionHooksState{Done: true}, nil
}

// CleanupDeletionHooks deletes finished deletion hooks by their delete
// policies (HookSucceeded when all succeeded, HookFailed when one failed) and
// reports whether none is left to wait for.
func CleanupDeletionHooks(ctx context.Context, in DeletionHooksInput) (bool, error) {
	assess := healthOf(in.Health)
	aggregated := v1alpha1.HealthStatusHealthy
	var present []*Task
	for _, hook := range in.Hooks {
		live := in.Live[hook.key]
		if live == nil {
			continue
		}
		if status, _ := assess.Assess(live); status != nil && health.IsWorse(aggregated, status.Status) {
			aggregated = status.Status
		}
		present = append(present, hook)
	}
	pending := 0
	for _, hook := range present {
		if !(hook.hasPolicy(HookSucceeded) && aggregated == v1alpha1.HealthStatusHealthy ||
			hook.hasPolicy(HookFailed) && aggregated == v1alpha1.HealthStatusDegraded) {
			continue
		}
		pending++
		if in.Live[hook.key].GetDeletionTimestamp() != nil {
			continue
		}
		if err := in.Client.Delete(ctx, hook.key, DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return false, fmt.Errorf("delete %s hook %s: %w", hook.Phase, hook.key, err)
		}
	}
	return pending == 0, nil
}

func deletionHookLive(ctx context.Context, in DeletionHooksInput, hook *Task) *unstructured.Unstructured {
	if live := in.Live[hook.key]; live != nil {
		return live
	}
	live, err := in.Client.Get(ctx, hook.key)
	if err != nil {
		return nil
	}
	return live
}

func hookPhaseName(hooks []*Task) string {
	if len(hooks) == 0 {
		return ""
	}
	return string(hooks[0].Phase)
}

func healthOf(assessor health.Assessor) health.Assessor {
	if assessor == nil {
		return HealthFunc(health.Assess)
	}
	return assessor
}

// DeletionHookTypes tells whether the target state carries PreDelete and
// PostDelete hooks; an Application that has them gets the finalizers that hold
// its deletion until they ran.
func DeletionHookTypes(targets []*unstructured.Unstructured) (preDelete, postDelete bool) {
	rules := NewHookRules(targets)
	for _, obj := range targets {
		if !rules.IsHook(obj) {
			continue
		}
		for _, hookType := range rules.Types(obj) {
			preDelete = preDelete || hookType == v1alpha1.HookTypePreDelete
			postDelete = postDelete || hookType == v1alpha1.HookTypePostDelete
		}
	}
	return preDelete, postDelete
}
