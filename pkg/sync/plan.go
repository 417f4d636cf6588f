// Package sync carries out Argo CD's sync operations: it plans the tasks of a
// sync (phases, waves, kind order, hooks, prunes and every sync option) and
// runs them one step at a time with a stateless step machine, so that the
// caller can persist each step's results and resume after a restart. It also
// decides automated syncs and plans the deletion of an Application's objects.
package sync

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

// PlanInput is what planning a sync needs. Planning calls no API: the caller
// passes the target and live state of its latest comparison. Plans are cheap
// and deterministic, so the caller can plan again before every step.
type PlanInput struct {
	// AppNamespace and AppName name the Application; objects are tracked to it.
	AppNamespace, AppName string
	// DestinationNamespace is given to namespaced objects that set none, and
	// created with CreateNamespace=true.
	DestinationNamespace string
	// Operation is the requested sync.
	Operation v1alpha1.SyncOperation
	// AppSyncOptions are spec.syncPolicy.syncOptions; the operation's own
	// syncOptions win over them.
	AppSyncOptions v1alpha1.SyncOptions
	// ManagedNamespaceMetadata is spec.syncPolicy.managedNamespaceMetadata.
	ManagedNamespaceMetadata *v1alpha1.ManagedNamespaceMetadata
	// LiveNamespace is the live destination namespace, nil when it does not
	// exist; read only with CreateNamespace=true.
	LiveNamespace *unstructured.Unstructured
	// Targets are the target objects, namespaced and tracked by the caller.
	Targets []*unstructured.Unstructured
	// Live are the live objects managed by the Application (hooks included).
	Live map[cluster.ResourceKey]*unstructured.Unstructured
	// OutOfSync tells, per resource, whether the comparison found it modified;
	// read with ApplyOutOfSyncOnly=true.
	OutOfSync map[cluster.ResourceKey]bool
	// IgnoreDifferences are the Application's (and system) ignore rules, read
	// with RespectIgnoreDifferences=true.
	IgnoreDifferences []v1alpha1.ResourceIgnoreDifferences
	// Revision is the resolved revision being synced; it names generateName hooks.
	Revision string
	// OperationID is fixed for one operation (see OperationID) and names
	// generateName hooks, so a resumed operation finds the hooks it created.
	OperationID string
	// PruneConfirmed is true when the Application's deletion-approved
	// annotation confirms Prune=confirm prunes (see DeletionApproved).
	PruneConfirmed bool
	// IsNamespaced tells whether the cluster serves a kind as namespaced; it
	// returns a meta.NoKindMatchError for kinds the cluster does not serve.
	IsNamespaced func(schema.GroupVersionKind) (bool, error)
	// Refusal, when set, says why the Application's project refuses an object
	// (empty when it permits it); a refused task fails the sync before anything
	// is applied.
	Refusal func(obj *unstructured.Unstructured, namespaced bool) string
}

// Plan is the ordered tasks of a sync operation.
type Plan struct {
	// Tasks are the PreSync, Sync and PostSync tasks, in execution order.
	Tasks []*Task
	// SyncFail are the SyncFail hooks, run only when the sync fails.
	SyncFail []*Task
	// PreDelete and PostDelete are the hooks run around Application deletion.
	PreDelete, PostDelete []*Task
	// Failure, when set, fails the operation before anything is applied.
	Failure string
	// Options are the application-level sync options.
	Options AppOptions
	// Prune, DryRun and PruneConfirmed come from the operation and Application.
	Prune, DryRun, PruneConfirmed bool
	// OutOfSync is PlanInput.OutOfSync, for ApplyOutOfSyncOnly.
	OutOfSync map[cluster.ResourceKey]bool
}

// NewPlan plans a sync. Errors are for input it cannot plan at all; a plan
// that cannot run (an unknown kind, a shared resource with
// FailOnSharedResource=true) comes back with Failure set, for Sync to report.
func NewPlan(in PlanInput) (*Plan, error) {
	if in.IsNamespaced == nil {
		return nil, errors.New("plan sync: IsNamespaced is required")
	}
	options, err := ParseAppOptions(in.AppSyncOptions, in.Operation.SyncOptions)
	if err != nil {
		return nil, err
	}
	plan := &Plan{
		Options:        options,
		Prune:          in.Operation.Prune,
		DryRun:         in.Operation.DryRun,
		PruneConfirmed: in.PruneConfirmed,
		OutOfSync:      in.OutOfSync,
	}
	planner := newPlanner(in, options)
	tasks, err := planner.targetTasks(plan)
	if err != nil {
		return nil, err
	}
	tasks = append(tasks, planner.pruneTasks()...)
	if task := planner.namespaceTask(tasks); task != nil {
		tasks = append(tasks, task)
	}
	if options.RespectIgnoreDifferences {
		if err := respectIgnoreDifferences(tasks, in.IgnoreDifferences); err != nil {
			return nil, err
		}
	}
	mirrorPruneWaves(tasks)
	movePruneLast(tasks)
	sortTasks(tasks)
	for _, task := range tasks {
		if task.Phase == v1alpha1.SyncPhaseSyncFail {
			plan.SyncFail = append(plan.SyncFail, task)
		} else {
			plan.Tasks = append(plan.Tasks, task)
		}
	}
	plan.Failure = failure(tasks)
	if plan.Failure == "" && options.FailOnSharedResource {
		plan.Failure = planner.sharedResources(tasks)
	}
	return plan, nil
}

// failure explains why invalid tasks stop the sync.
func failure(tasks []*Task) string {
	var reasons []string
	for _, task := range tasks {
		if task.Invalid != "" {
			reasons = append(reasons, task.reasonName()+": "+task.Invalid)
		}
	}
	if len(reasons) == 0 {
		return ""
	}
	return "one or more synchronization tasks are not valid, reason: " + strings.Join(reasons, "; ")
}

type planner struct {
	in         PlanInput
	options    AppOptions
	force      bool
	skipHooks  bool
	revision   string
	rules      HookRules
	scopes     *scopes
	targetKeys map[cluster.ResourceKey]bool
}

func newPlanner(in PlanInput, options AppOptions) *planner {
	revision := in.Revision
	if revision == "" {
		revision = in.Operation.Revision
	}
	strategy := in.Operation.SyncStrategy
	return &planner{
		in:         in,
		options:    options,
		force:      strategy != nil && (strategy.Apply != nil && strategy.Apply.Force || strategy.Hook != nil && strategy.Hook.Force),
		skipHooks:  len(in.Operation.Resources) > 0 || strategy != nil && strategy.Apply != nil,
		revision:   revision,
		rules:      NewHookRules(in.Targets),
		scopes:     newScopes(in.IsNamespaced, in.Targets),
		targetKeys: make(map[cluster.ResourceKey]bool, len(in.Targets)),
	}
}

// targetTasks makes the tasks of the target objects: one per resource, one
// per sync phase of each hook; deletion hooks go to the plan directly.
func (p *planner) targetTasks(plan *Plan) ([]*Task, error) {
	var tasks []*Task
	for _, target := range p.in.Targets {
		if p.rules.IsSkip(target) {
			p.skipTarget(target)
			continue
		}
		scope, err := p.scopes.of(target)
		if err != nil {
			return nil, err
		}
		target = p.normalize(target, scope)
		p.targetKeys[cluster.KeyOf(target)] = true
		if !p.rules.IsHook(target) {
			if !p.selected(cluster.KeyOf(target)) {
				continue
			}
			tasks = append(tasks, p.newTask(target, v1alpha1.SyncPhaseSync, false, scope))
			continue
		}
		for _, hookType := range p.rules.Types(target) {
			switch hookType {
			case v1alpha1.HookTypePreDelete:
				plan.PreDelete = append(plan.PreDelete, p.newTask(p.hookObject(target, v1alpha1.SyncPhasePreDelete, false), v1alpha1.SyncPhasePreDelete, true, scope))
			case v1alpha1.HookTypePostDelete:
				plan.PostDelete = append(plan.PostDelete, p.newTask(p.hookObject(target, v1alpha1.SyncPhasePostDelete, false), v1alpha1.SyncPhasePostDelete, true, scope))
			}
		}
		if p.skipHooks {
			continue
		}
		for _, phase := range p.rules.syncPhases(target) {
			tasks = append(tasks, p.newTask(p.hookObject(target, phase, true), phase, true, scope))
		}
	}
	return tasks, nil
}

// skipTarget remembers a Skip object, which is never applied, so that its
// live object is not pruned either.
func (p *planner) skipTarget(target *unstructured.Unstructured) {
	key := cluster.KeyOf(target)
	p.targetKeys[key] = true
	if key.Namespace == "" {
		key.Namespace = p.in.DestinationNamespace
		p.targetKeys[key] = true
	}
}

func (p *planner) newTask(target *unstructured.Unstructured, phase v1alpha1.SyncPhase, hook bool, scope scope) *Task {
	key := cluster.KeyOf(target)
	task := &Task{
		Phase:      phase,
		Wave:       Wave(target),
		Target:     target,
		Live:       p.in.Live[key],
		Hook:       hook,
		Options:    ResolveResourceOptions(p.options, target, p.force),
		SkipDryRun: scope.missing,
		key:        key,
	}
	if hook {
		task.DeletePolicies = DeletePolicies(target)
	}
	if task.Options.ServerSideApply && !task.Options.Replace {
		task.MigrateManagers = csaMigrationManagers(p.options, target, FieldManager)
	}
	if scope.missing && !task.Options.SkipDryRunOnMissingResource && !scope.crdInSync {
		task.Invalid = scope.err.Error()
	}
	if p.in.Refusal != nil {
		if refusal := p.in.Refusal(target, scope.namespaced); refusal != "" {
			task.Invalid = refusal
		}
	}
	return task
}

// hookObject names a hook for one phase of this operation and tracks it.
func (p *planner) hookObject(target *unstructured.Unstructured, phase v1alpha1.SyncPhase, finalizer bool) *unstructured.Unstructured {
	hook := prepareHook(target, p.revision, phase, p.in.OperationID, finalizer)
	p.track(hook)
	return hook
}

// normalize gives a namespaced object without namespace the destination
// namespace and takes it off a cluster-scoped one, re-tracking what changed.
func (p *planner) normalize(target *unstructured.Unstructured, scope scope) *unstructured.Unstructured {
	namespace := target.GetNamespace()
	switch {
	case scope.namespaced && namespace == "":
		target = target.DeepCopy()
		target.SetNamespace(p.in.DestinationNamespace)
	case !scope.namespaced && namespace != "":
		target = target.DeepCopy()
		target.SetNamespace("")
	default:
		if p.tracked(target) {
			return target
		}
		target = target.DeepCopy()
	}
	p.track(target)
	return target
}

func (p *planner) tracked(obj *unstructured.Unstructured) bool {
	if p.in.AppName == "" {
		return true
	}
	want := cluster.TrackingID(p.in.AppNamespace, p.in.AppName, cluster.KeyOf(obj))
	return annotation(obj, cluster.TrackingAnnotation) == want
}

func (p *planner) track(obj *unstructured.Unstructured) {
	if p.in.AppName != "" && obj.GetName() != "" {
		cluster.SetTracking(obj, p.in.AppNamespace, p.in.AppName)
	}
}

// selected reports whether a selective sync includes the resource.
func (p *planner) selected(key cluster.ResourceKey) bool {
	resources := p.in.Operation.Resources
	if len(resources) == 0 {
		return true
	}
	return slices.ContainsFunc(resources, func(r v1alpha1.SyncOperationResource) bool {
		return (r.Group == "*" || r.Group == key.Group) &&
			(r.Kind == "*" || r.Kind == key.Kind) &&
			(r.Name == "*" || r.Name == key.Name) &&
			(r.Namespace == "*" || r.Namespace == "" || r.Namespace == key.Namespace)
	})
}

// sharedResources explains FailOnSharedResource's failure: targets whose live
// object is tracked to another Application.
func (p *planner) sharedResources(tasks []*Task) string {
	instance := cluster.AppInstance(p.in.AppNamespace, p.in.AppName)
	var shared []string
	for _, task := range tasks {
		if task.Target == nil || task.Live == nil {
			continue
		}
		tracking, ok := cluster.TrackingOf(task.Live)
		if ok && tracking.AppInstance != instance {
			shared = append(shared, fmt.Sprintf("%s is part of application %s", task.reasonName(), tracking.AppInstance))
		}
	}
	if len(shared) == 0 {
		return ""
	}
	return "Shared resource found: " + strings.Join(shared, "; ")
}
