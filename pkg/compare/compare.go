// Package compare compares an Application's target state with the live state
// of its destination: per-resource sync status, health, and the Application's
// aggregated sync status, health and conditions. The refresh controller and the
// diff subresource share it.
package compare

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"capstan.dev/capstan/pkg/actions"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/convert"
	"capstan.dev/capstan/pkg/diff"
	"capstan.dev/capstan/pkg/health"
	"capstan.dev/capstan/pkg/project"
	"capstan.dev/capstan/pkg/refresh"
	syncengine "capstan.dev/capstan/pkg/sync"
	"capstan.dev/capstan/pkg/target"
)

// TargetSource resolves and renders an Application's sources.
type TargetSource interface {
	// Target renders app's target state for the cluster and revision in opts.
	Target(ctx context.Context, app *v1alpha1.Application, opts target.Options) (*target.Target, error)
}

// Comparer compares Applications.
type Comparer struct {
	Clusters *cluster.Clusters
	Targets  TargetSource
	Differ   *diff.Differ
	Health   health.Assessor
	// SystemRules are the system-level ignore rules (argocd-cm), used with
	// every Application's own ignoreDifferences.
	SystemRules diff.SystemRules
	// SystemRulesFrom, when set, returns the current system-level rules in
	// place of SystemRules: they change when argocd-cm does.
	SystemRulesFrom func() diff.SystemRules
	// SettingsGeneration, when set, changes whenever SystemRulesFrom's rules
	// or Health's customizations do (Inputs.Settings).
	SettingsGeneration func() uint64
	// Policy holds the server-wide settings of the project rules (the control
	// namespaces).
	Policy project.Policy
	// Actions runs resource actions (the actions subresource).
	Actions actions.Runner
	// TranslateArgoproj compares and writes rendered argoproj.io/v1alpha1
	// Applications, ApplicationSets and AppProjects as their capstan.dev
	// equivalents, so that Argo CD's app-of-apps repositories work unchanged.
	TranslateArgoproj bool
	// Impersonation makes every write to a destination — applies, prunes,
	// deletions, hooks and the dry-run applies of comparisons — act as the
	// ServiceAccount the project's destinationServiceAccounts name, so that
	// Capstan's own identity only reads (--sync-impersonation).
	Impersonation bool
}

// Options tune one comparison.
type Options struct {
	// Hard bypasses the caches of resolved revisions and rendered manifests.
	Hard bool
	// Push is the push a webhook reported, for a refresh it asked for: the
	// listed refs are renewed once per push rather than per Application.
	Push *refresh.Push
	// Revision renders this revision instead of the target revision.
	Revision string
	// Revisions render these revisions instead of the target revisions of a
	// multi-source Application (one per source; empty keeps the source's).
	Revisions []string
	// Manifests, when not nil, are the target objects instead of what the
	// Application's sources render (a diff of locally rendered files).
	Manifests []*unstructured.Unstructured
	// Project is the Application's AppProject: its sourceRepos, destinations
	// and resource lists are enforced, and when it sets orphanedResources the
	// comparison reports the orphaned objects of the destination namespace.
	// Nil enforces nothing (projects are not known, as in --standalone).
	Project *v1alpha1.AppProject
	// ProjectMissing is true when the Application's project does not exist:
	// the comparison fails with InvalidSpecError, as in Argo CD.
	ProjectMissing bool
	// ApplicationExists tells whether the Application of an instance
	// ("<namespace>_<name>") exists: objects tracked to an Application that is
	// gone count as orphaned. Nil counts every tracked object as managed.
	ApplicationExists func(instance string) bool
	// RecheckAbsent looks up target objects the cache remembers as absent,
	// as Hard does, without bypassing the caches of revisions and renders:
	// the diff subresource shows the live state at request time.
	RecheckAbsent bool
	// HoldOnOutage compares with the revisions the last comparison resolved
	// (status.sync.revision(s)) when a source cannot be reached: health and
	// sync status stay computed, against that revision, and the result says
	// so (Result.Held). Only a refresh holds: an operation never does, so
	// that a sync to a revision that cannot be resolved fails.
	HoldOnOutage bool
	// Recent says that Revision or Revisions are the revisions the last
	// comparison resolved for the Application's sources as they still are
	// (HeldRevisions), used instead of resolving them again: the result
	// stands for the Application's state (it may be Quiet), as one that
	// resolved them would.
	Recent bool
}

// Result is the outcome of comparing one Application.
type Result struct {
	Target     *target.Target
	Resources  []v1alpha1.ResourceStatus
	SyncStatus v1alpha1.SyncStatusCode
	Health     v1alpha1.HealthStatus
	Conditions []v1alpha1.ApplicationCondition
	// Summary lists the images and external URLs of the managed resources.
	Summary v1alpha1.ApplicationSummary
	// Cluster is the destination; Targets and Live are the compared objects by
	// key (targets namespaced and tracked). All three are nil when the
	// comparison failed before reading the live state.
	Cluster *cluster.Cluster
	Targets map[cluster.ResourceKey]*unstructured.Unstructured
	// Unnamed are target objects with only generateName (hooks).
	Unnamed []*unstructured.Unstructured
	Live    map[cluster.ResourceKey]*unstructured.Unstructured
	// Hooks are the live hook objects of the Application: they are not
	// compared, but a running operation follows them.
	Hooks map[cluster.ResourceKey]*unstructured.Unstructured
	// Held, when not nil, says that a source could not be reached and the
	// comparison was made with the last resolved revision instead: an
	// automated sync may revert drift to it but prunes nothing.
	Held *Hold
	// Inputs are what the comparison read besides spec, project and live
	// objects; set when it got as far as reading the live state.
	Inputs Inputs
	// Quiet is true when only a change of the Inputs, of the Application's
	// spec or project, or an event of one of its tracked objects can change
	// the result: the comparison succeeded, not on a held revision, Synced,
	// every target is live and tracked to the Application (so it is watched),
	// and no orphaned resources are looked for (untracked objects of the
	// namespace are not watched).
	Quiet bool
}

// AllTargets returns the target objects, named and unnamed (generateName
// hooks), as a sync plans them.
func (r Result) AllTargets() []*unstructured.Unstructured {
	targets := make([]*unstructured.Unstructured, 0, len(r.Targets)+len(r.Unnamed))
	for _, obj := range r.Targets {
		targets = append(targets, obj)
	}
	return append(targets, r.Unnamed...)
}

// LiveWithHooks returns the live objects and the live hooks in one map, as a
// sync follows them.
func (r Result) LiveWithHooks() map[cluster.ResourceKey]*unstructured.Unstructured {
	live := make(map[cluster.ResourceKey]*unstructured.Unstructured, len(r.Live)+len(r.Hooks))
	for key, obj := range r.Live {
		live[key] = obj
	}
	for key, obj := range r.Hooks {
		live[key] = obj
	}
	return live
}

// OutOfSync tells, per compared resource, whether it is not Synced, as a sync
// with ApplyOutOfSyncOnly reads it.
func (r Result) OutOfSync() map[cluster.ResourceKey]bool {
	outOfSync := make(map[cluster.ResourceKey]bool, len(r.Resources))
	for _, resource := range r.Resources {
		key := cluster.ResourceKey{Group: resource.Group, Kind: resource.Kind, Namespace: resource.Namespace, Name: resource.Name}
		outOfSync[key] = resource.Status != v1alpha1.SyncStatusCodeSynced
	}
	return outOfSync
}

// Compare renders the target state, reads the live state and compares them.
// Every failure becomes a condition on this Application only, with sync status
// Unknown: nothing is ever applied or pruned because of a failed comparison.
func (c *Comparer) Compare(ctx context.Context, app *v1alpha1.Application, opts Options) Result {
	if opts.ProjectMissing {
		return failed(v1alpha1.ApplicationConditionInvalidSpecError,
			fmt.Errorf("Application referencing project %s which does not exist", app.Spec.Project))
	}
	if refusal := c.Policy.ApplicationRefusal(opts.Project, app); refusal != nil {
		return failed(v1alpha1.ApplicationConditionInvalidSpecError, refusal)
	}
	destination, err := c.Destination(app, opts.Project)
	if err != nil {
		return failed(v1alpha1.ApplicationConditionInvalidSpecError, err)
	}
	// The cache keeps its last state while the cluster is away: compare
	// nothing, and so sync and prune nothing, until it answers again.
	if err := destination.Reachable(ctx); err != nil {
		return failed(v1alpha1.ApplicationConditionComparisonError, err)
	}
	kubeVersion, apiVersions, err := destination.Versions()
	if err != nil {
		return failed(v1alpha1.ApplicationConditionComparisonError, err)
	}
	// Read before the rules are: a change during the comparison is seen as one.
	settings := c.settingsGeneration()
	desired, err := c.target(ctx, app, targetOptions(kubeVersion, apiVersions, opts), opts.Manifests)
	var held *Hold
	if err != nil && opts.HoldOnOutage && opts.Manifests == nil && opts.Revision == "" && len(opts.Revisions) == 0 {
		desired, held = c.hold(ctx, app, targetOptions(kubeVersion, apiVersions, opts), err, time.Now())
	}
	if err != nil && held == nil {
		return failed(v1alpha1.ApplicationConditionComparisonError, err)
	}
	targets, unnamed, repeated, err := c.prepareTargets(ctx, destination, app, desired.Objects)
	warnings := repeatedResourceWarnings(repeated)
	if err != nil {
		result := failed(v1alpha1.ApplicationConditionComparisonError, err)
		result.Target = desired
		result.Conditions = append(result.Conditions, warnings...)
		return result
	}
	live, hooks, err := c.liveObjects(ctx, destination, app, targets, opts.Hard || opts.RecheckAbsent)
	if err != nil {
		result := failed(v1alpha1.ApplicationConditionComparisonError, err)
		result.Target = desired
		result.Conditions = append(result.Conditions, warnings...)
		return result
	}
	if err := c.invalidSystemRule(targets, live); err != nil {
		result := failed(v1alpha1.ApplicationConditionComparisonError, err)
		result.Target = desired
		result.Conditions = append(result.Conditions, warnings...)
		return result
	}
	withoutRefusedLive(opts.Project, app.Spec.Destination, live)
	result := Result{Target: desired, SyncStatus: v1alpha1.SyncStatusCodeSynced, Cluster: destination, Targets: targets, Unnamed: unnamed, Live: live, Hooks: hooks, Held: held,
		Inputs: inputsOf(destination, kubeVersion, apiVersions, desired, settings)}
	result.Conditions = append(warnings, sharedResourceWarnings(app, live)...)
	if held != nil {
		result.Conditions = append([]v1alpha1.ApplicationCondition{held.Condition()}, result.Conditions...)
	}
	orphans, err := c.orphanedResourceWarnings(ctx, destination, app, opts, targets, live)
	if err != nil {
		// Orphans are only reported: failing to find them fails nothing else.
		orphans = []v1alpha1.ApplicationCondition{condition(v1alpha1.ApplicationConditionComparisonError, err)}
	}
	result.Conditions = append(result.Conditions, orphans...)
	rules := c.ignoreRules(app)
	client, identity, err := c.writeClient(app, opts.Project, destination)
	if err != nil {
		return failed(v1alpha1.ApplicationConditionComparisonError, err)
	}
	applier := DryRunApplier{Cluster: destination, Client: client, Differ: c.Differ, Identity: identity}
	keys := sortedKeys(targets, live)
	healths := make([]health.ResourceHealth, 0, len(keys))
	if len(keys) > 0 {
		result.Resources = make([]v1alpha1.ResourceStatus, 0, len(keys))
	}
	for _, key := range keys {
		targetObj, liveObj := targets[key], live[key]
		if targetObj != nil && health.IsHook(targetObj) {
			// Hooks get no sync status; operations follow them through Hooks.
			if liveObj != nil {
				result.Hooks[key] = liveObj
			}
			continue
		}
		status := v1alpha1.ResourceStatus{
			Group: key.Group, Kind: key.Kind, Namespace: key.Namespace, Name: key.Name,
			Status: v1alpha1.SyncStatusCodeSynced,
		}
		if obj := firstNonNil(targetObj, liveObj); obj != nil {
			status.Version = obj.GroupVersionKind().Version
			status.SyncWave = syncWave(obj)
		}
		refusal := project.ResourceRefusal(opts.Project, app.Spec.Destination, targetObj, key.Namespace != "")
		switch {
		case refusal != nil:
			// Argo CD: a resource the project refuses is Unknown and is never synced.
			result.Conditions = append(result.Conditions, condition(v1alpha1.ApplicationConditionInvalidSpecError, refusal))
			status.Status = v1alpha1.SyncStatusCodeUnknown
		case targetObj == nil:
			status.Status = v1alpha1.SyncStatusCodeOutOfSync
			status.RequiresPruning = true
		default:
			modified, err := c.Differ.Modified(ctx, targetObj, liveObj, applier, rules)
			if err != nil {
				result.Conditions = append(result.Conditions, condition(v1alpha1.ApplicationConditionComparisonError, err))
				status.Status = v1alpha1.SyncStatusCodeUnknown
			} else if modified {
				status.Status = v1alpha1.SyncStatusCodeOutOfSync
			}
		}
		if status.Status != v1alpha1.SyncStatusCodeSynced && result.SyncStatus == v1alpha1.SyncStatusCodeSynced {
			result.SyncStatus = v1alpha1.SyncStatusCodeOutOfSync
		}
		if status.Status == v1alpha1.SyncStatusCodeUnknown {
			result.SyncStatus = v1alpha1.SyncStatusCodeUnknown
		}
		resourceHealth := c.assess(liveObj)
		status.Health = resourceHealth
		healths = append(healths, health.NewResourceHealth(liveObj, targetObj, resourceHealth))
		result.Resources = append(result.Resources, status)
	}
	result.Health = health.Aggregate(healths)
	result.Summary = summarize(app, targets, live)
	result.Quiet = opts.Manifests == nil && (opts.Revision == "" && len(opts.Revisions) == 0 || opts.Recent) && held == nil &&
		result.SyncStatus == v1alpha1.SyncStatusCodeSynced && !hasErrorCondition(result.Conditions) &&
		(opts.Project == nil || !warnsOrphans(opts.Project.Spec.OrphanedResources)) &&
		allTracked(app, targets, live)
	return result
}

// allTracked tells whether every target has a live object tracked to app:
// the destination's cache watches those, so a change of any of them refreshes
// app. An object adopted by key, or a Missing one, is seen only by looking.
func allTracked(app *v1alpha1.Application, targets, live map[cluster.ResourceKey]*unstructured.Unstructured) bool {
	instance, label := cluster.AppInstance(app.Namespace, app.Name), cluster.InstanceLabelValue(app.Namespace, app.Name)
	for key, target := range targets {
		if health.IsHook(target) {
			continue
		}
		obj, ok := live[key]
		if !ok {
			return false
		}
		if value, _ := cluster.Label(obj, cluster.InstanceLabel); value != label {
			return false
		}
		if tracking, ok := cluster.TrackingOf(obj); !ok || tracking.AppInstance != instance || tracking.Key != key {
			return false
		}
	}
	return true
}

// hasErrorCondition tells whether conditions hold an error.
func hasErrorCondition(conditions []v1alpha1.ApplicationCondition) bool {
	for _, cond := range conditions {
		if cond.IsError() {
			return true
		}
	}
	return false
}

// Destination returns the cluster of app's destination, refused when the
// cluster is scoped to another project than proj (or proj permits only
// clusters scoped to it).
func (c *Comparer) Destination(app *v1alpha1.Application, proj *v1alpha1.AppProject) (*cluster.Cluster, error) {
	destination, err := c.Clusters.For(app.Spec.Destination)
	if err != nil {
		return nil, err
	}
	if refusal := project.ClusterRefusal(proj, destination.Server, destination.Project); refusal != nil {
		return nil, refusal
	}
	return destination, nil
}

// HealthAssessor is the health rules the comparison applies; a sync waits
// for health with the same rules.
func (c *Comparer) HealthAssessor() health.Assessor { return c.Health }

// WriteClient returns the client that writes app's objects into destination:
// with impersonation, one acting as the ServiceAccount proj names for the
// destination (an error when it names none: impersonation never falls back
// to Capstan's own identity); without, the destination's own.
func (c *Comparer) WriteClient(app *v1alpha1.Application, proj *v1alpha1.AppProject, destination *cluster.Cluster) (dynamic.Interface, error) {
	client, _, err := c.writeClient(app, proj, destination)
	return client, err
}

// writeClient is WriteClient with the identity of its requests: the
// destination (this Cluster: one whose Secret changed, its credentials with
// it, is another) and the ServiceAccount it impersonates, if any.
func (c *Comparer) writeClient(app *v1alpha1.Application, proj *v1alpha1.AppProject, destination *cluster.Cluster) (dynamic.Interface, string, error) {
	identity := fmt.Sprintf("%s\x00%p", destination.Server, destination)
	if !c.Impersonation {
		return destination.Dynamic, identity, nil
	}
	account, err := project.ServiceAccountFor(proj, app.Spec.Destination, destination.Server, app.Namespace)
	if err != nil {
		return nil, "", err
	}
	client, err := destination.Impersonating(account)
	return client, identity + "\x00" + account, err
}

// SyncApplier is the applier of app's syncs into destination: it writes with
// WriteClient, and leaves out the dry runs whose answer is known (see
// AcceptingApplier).
func (c *Comparer) SyncApplier(app *v1alpha1.Application, proj *v1alpha1.AppProject, destination *cluster.Cluster) (syncengine.Applier, error) {
	client, identity, err := c.writeClient(app, proj, destination)
	if err != nil {
		return nil, err
	}
	return AcceptingApplier{Applier: syncengine.NewKubeApplier(client, destination.Cache.RESTMapper()), Differ: c.Differ, Identity: identity}, nil
}

// RememberApplied tells the comparer that applying target (as a sync of app
// did) returned applied: comparing them later needs no dry-run, as long as
// nothing changed the object since.
func (c *Comparer) RememberApplied(app *v1alpha1.Application, target, applied *unstructured.Unstructured) error {
	return c.Differ.Remember(target, applied, c.ignoreRules(app), false)
}

// ignoreRules are the Application's ignoreDifferences plus the system-level rules.
func (c *Comparer) ignoreRules(app *v1alpha1.Application) *diff.IgnoreRules {
	return diff.NewIgnoreRules(0, app.Spec.IgnoreDifferences, c.systemRules().Rules)
}

// invalidSystemRule fails the comparison when a system-level rule that could
// not be read selects one of the compared resources: without it the
// comparison would show the differences it was meant to hide, and an
// automated sync could act on them.
func (c *Comparer) invalidSystemRule(maps ...map[cluster.ResourceKey]*unstructured.Unstructured) error {
	for _, invalid := range c.systemRules().Invalid {
		for _, m := range maps {
			for key := range m {
				if invalid.Selects(key.Group, key.Kind) {
					return fmt.Errorf("system-level ignore rule: %w", invalid.Err)
				}
			}
		}
	}
	return nil
}

// systemRules returns the current system-level ignore rules.
func (c *Comparer) systemRules() diff.SystemRules {
	if c.SystemRulesFrom != nil {
		return c.SystemRulesFrom()
	}
	return c.SystemRules
}

func failed(conditionType v1alpha1.ApplicationConditionType, err error) Result {
	return Result{
		SyncStatus: v1alpha1.SyncStatusCodeUnknown,
		Health:     v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusUnknown},
		Conditions: []v1alpha1.ApplicationCondition{condition(conditionType, err)},
	}
}

func condition(conditionType v1alpha1.ApplicationConditionType, err error) v1alpha1.ApplicationCondition {
	return v1alpha1.ApplicationCondition{Type: conditionType, Message: err.Error()}
}

// prepareTargets keys the target objects (Argo CD's Application kinds as
// Capstan's with TranslateArgoproj), fills in the destination namespace of
// namespaced objects that have none, and makes sure their kinds are watched.
// A key that appears more than once keeps its last object, as in Argo CD;
// repeated counts the occurrences of every key.
func (c *Comparer) prepareTargets(ctx context.Context, destination *cluster.Cluster, app *v1alpha1.Application, objects []*unstructured.Unstructured) (
	targets map[cluster.ResourceKey]*unstructured.Unstructured, unnamed []*unstructured.Unstructured, repeated map[cluster.ResourceKey]int, err error) {
	targets = make(map[cluster.ResourceKey]*unstructured.Unstructured, len(objects))
	definedKinds := cluster.DefinedKinds(objects)
	repeated = make(map[cluster.ResourceKey]int, len(objects))
	var errs []error
	// The objects are this comparison's own (a render's copy, or the given
	// manifests copied by target): they are prepared in place.
	for _, obj := range objects {
		if c.TranslateArgoproj {
			convert.Object(obj)
		}
		namespaced, err := c.watchKind(ctx, destination, obj, definedKinds)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", obj.GetKind(), obj.GetName(), err))
			continue
		}
		if namespaced {
			if obj.GetNamespace() == "" {
				obj.SetNamespace(app.Spec.Destination.Namespace)
			}
			if !destination.Cache.NamespaceManaged(obj.GetNamespace()) {
				errs = append(errs, fmt.Errorf("%s %s: namespace %q is not managed by cluster %s: its Secret lists only the namespaces %v",
					obj.GetKind(), obj.GetName(), obj.GetNamespace(), destination.Server, destination.Namespaces))
				continue
			}
		} else {
			obj.SetNamespace("")
		}
		cluster.SetTracking(obj, app.Namespace, app.Name)
		if obj.GetName() == "" {
			// generateName hooks: named per operation by the sync, never compared.
			unnamed = append(unnamed, obj)
			continue
		}
		key := cluster.KeyOf(obj)
		repeated[key]++
		targets[key] = obj
	}
	return targets, unnamed, repeated, errors.Join(errs...)
}

// watchKind makes sure obj's kind is watched and tells whether it is
// namespaced. A kind the cluster does not serve yet is no error when a
// CustomResourceDefinition among the targets defines it: its objects are
// Missing until a sync creates the CRD, and the scope comes from the CRD.
func (c *Comparer) watchKind(ctx context.Context, destination *cluster.Cluster, obj *unstructured.Unstructured, definedKinds map[schema.GroupKind]bool) (bool, error) {
	mapping, err := destination.Cache.Watch(ctx, obj.GroupVersionKind())
	if err == nil {
		return mapping.Scope.Name() == meta.RESTScopeNameNamespace, nil
	}
	if namespaced, defined := definedKinds[obj.GroupVersionKind().GroupKind()]; defined && meta.IsNoMatchError(err) {
		return namespaced, nil
	}
	return false, err
}

// liveObjects returns the live objects of an Application: the cached objects
// tracked to it (without ownerReferences), plus untracked objects that match a
// target by key, which are adopted.
//
// Targets looked up and not found are remembered for cluster.AbsentTTL
// (unless hard), so that comparing an Application whose objects do not exist
// yet costs no request each time.
func (c *Comparer) liveObjects(ctx context.Context, destination *cluster.Cluster, app *v1alpha1.Application, targets map[cluster.ResourceKey]*unstructured.Unstructured, hard bool) (live, hooks map[cluster.ResourceKey]*unstructured.Unstructured, err error) {
	instance := cluster.AppInstance(app.Namespace, app.Name)
	live = map[cluster.ResourceKey]*unstructured.Unstructured{}
	hooks = map[cluster.ResourceKey]*unstructured.Unstructured{}
	tracked, err := destination.Cache.LiveObjectsOf(ctx, cluster.InstanceLabelValue(app.Namespace, app.Name))
	if err != nil {
		return nil, nil, err
	}
	for _, obj := range tracked {
		tracking, ok := cluster.TrackingOf(obj)
		if !ok || tracking.AppInstance != instance || len(obj.GetOwnerReferences()) > 0 {
			continue
		}
		if _, isTarget := targets[tracking.Key]; !isTarget && health.IsHook(obj) {
			hooks[tracking.Key] = obj
			continue
		}
		live[tracking.Key] = obj
	}
	for key, target := range targets {
		if _, ok := live[key]; ok {
			continue
		}
		mapping, err := destination.Cache.Mapping(target.GroupVersionKind())
		if meta.IsNoMatchError(err) {
			// Defined by a target CRD the cluster does not serve yet: missing.
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if obj, ok := destination.Cache.Get(mapping.Resource, key.Namespace, key.Name); ok {
			live[key] = obj
			destination.Cache.ForgetAbsent(key)
			continue
		}
		if !hard && destination.Cache.KnownAbsent(key, time.Now()) {
			continue
		}
		if key.Namespace != "" {
			if exists, known := destination.NamespaceIndex.Exists(key.Namespace); known && !exists {
				// Nothing exists in a namespace that does not: the objects of
				// a new Application's new namespace cost no request each.
				destination.Cache.MarkAbsent(key, time.Now())
				continue
			}
		}
		// Not tracked yet: look it up once; an existing object is adopted by key.
		obj, err := destination.Dynamic.Resource(mapping.Resource).Namespace(key.Namespace).Get(ctx, key.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			destination.Cache.MarkAbsent(key, time.Now())
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("get %s: %w", key, err)
		}
		// Found after all (a hard refresh, or created by someone else since):
		// later comparisons must not take it to be absent.
		destination.Cache.ForgetAbsent(key)
		live[key] = obj
	}
	return live, hooks, nil
}

func sortedKeys(maps ...map[cluster.ResourceKey]*unstructured.Unstructured) []cluster.ResourceKey {
	seen := map[cluster.ResourceKey]bool{}
	var keys []cluster.ResourceKey
	for _, m := range maps {
		for key := range m {
			if !seen[key] {
				seen[key] = true
				keys = append(keys, key)
			}
		}
	}
	// Ordered by their text, each made once.
	names := make([]string, len(keys))
	for i, key := range keys {
		names[i] = key.String()
	}
	sort.Sort(keysByName{keys, names})
	return keys
}

// keysByName sorts keys by names, the text of each.
type keysByName struct {
	keys  []cluster.ResourceKey
	names []string
}

func (s keysByName) Len() int           { return len(s.keys) }
func (s keysByName) Less(i, j int) bool { return s.names[i] < s.names[j] }
func (s keysByName) Swap(i, j int) {
	s.keys[i], s.keys[j] = s.keys[j], s.keys[i]
	s.names[i], s.names[j] = s.names[j], s.names[i]
}

func firstNonNil(objs ...*unstructured.Unstructured) *unstructured.Unstructured {
	for _, obj := range objs {
		if obj != nil {
			return obj
		}
	}
	return nil
}

// DryRunApplier predicts live objects with a server-side dry-run apply.
type DryRunApplier struct {
	Cluster *cluster.Cluster
	// Client sends the dry-run applies: Cluster's own, or one that
	// impersonates the project's ServiceAccount.
	Client dynamic.Interface
	// Differ, when set, remembers the dry runs the API server accepted
	// without a warning, by Identity (the client's), for the syncs that
	// follow (AcceptingApplier).
	Differ   *diff.Differ
	Identity string
}

// FieldManager is the field manager of everything Capstan applies.
const FieldManager = diff.FieldManager

// DryRunApply predicts the live object after a server-side apply of target.
func (a DryRunApplier) DryRunApply(ctx context.Context, target *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	mapping, err := a.Cluster.Cache.Mapping(target.GroupVersionKind())
	if err != nil {
		return nil, err
	}
	data, err := target.MarshalJSON()
	if err != nil {
		return nil, err
	}
	requestCtx, warnings := cluster.CollectWarnings(ctx)
	predicted, err := a.Client.Resource(mapping.Resource).Namespace(target.GetNamespace()).Patch(requestCtx, target.GetName(),
		types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: ptrTrue(), DryRun: []string{metav1.DryRunAll}})
	if err == nil && a.Differ != nil && warnings.Count() == 0 {
		// Accepted under the default validation (Warn) without a warning:
		// a strict one, the sync's, accepts it too.
		unchanged := false
		if live, ok := a.Cluster.Cache.Get(mapping.Resource, target.GetNamespace(), target.GetName()); ok &&
			live.GetUID() == predicted.GetUID() && live.GetResourceVersion() == predicted.GetResourceVersion() {
			// The sync's dry run tells an unchanged object the same way.
			unchanged = reflect.DeepEqual(predicted.Object, live.Object)
		}
		a.Differ.RememberAccepted(a.Identity, target, predicted, unchanged)
	}
	return predicted, err
}

// ReadLive reads the object target names as the API server has it now, with
// the same client as the dry runs (diff.LiveReader).
func (a DryRunApplier) ReadLive(ctx context.Context, target *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	mapping, err := a.Cluster.Cache.Mapping(target.GroupVersionKind())
	if err != nil {
		return nil, err
	}
	return a.Client.Resource(mapping.Resource).Namespace(target.GetNamespace()).Get(ctx, target.GetName(), metav1.GetOptions{})
}

var _ diff.LiveReader = DryRunApplier{}

func ptrTrue() *bool { t := true; return &t }

// syncWave reads argocd.argoproj.io/sync-wave; invalid or absent means wave 0.
func syncWave(obj *unstructured.Unstructured) int64 {
	value, _ := cluster.Annotation(obj, "argocd.argoproj.io/sync-wave")
	if value == "" {
		return 0
	}
	wave, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return 0
	}
	return wave
}

// assess returns the health of a live object; a missing object is Missing.
func (c *Comparer) assess(live *unstructured.Unstructured) *v1alpha1.HealthStatus {
	if live == nil {
		return &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusMissing}
	}
	if c.Health == nil {
		return nil
	}
	health, err := c.Health.Assess(live)
	if err != nil {
		return &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusUnknown, Message: err.Error()}
	}
	return health
}

func targetOptions(kubeVersion string, apiVersions []string, opts Options) target.Options {
	return target.Options{KubeVersion: kubeVersion, APIVersions: apiVersions, Hard: opts.Hard, Push: opts.Push, Revision: opts.Revision, Revisions: opts.Revisions}
}

func keyOf(resource v1alpha1.ResourceStatus) cluster.ResourceKey {
	return cluster.ResourceKey{Group: resource.Group, Kind: resource.Kind, Namespace: resource.Namespace, Name: resource.Name}
}
