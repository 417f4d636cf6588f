package application

import (
	"context"
	"errors"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/diff"
	"capstan.dev/capstan/pkg/health"
	"capstan.dev/capstan/pkg/target"
)

// comparison is the outcome of comparing one Application.
type comparison struct {
	target     *target.Target
	resources  []v1alpha1.ResourceStatus
	syncStatus v1alpha1.SyncStatusCode
	health     v1alpha1.HealthStatus
	conditions []v1alpha1.ApplicationCondition
}

// refresh compares one Application and writes its status when it changed.
func (c *Controller) refresh(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	app, err := c.lister.Applications(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	logger := klog.FromContext(ctx).WithValues("application", key)
	ctx = klog.NewContext(ctx, logger)
	hard := app.Annotations[RefreshAnnotation] == "hard"

	result := c.compare(ctx, app, hard)
	if err := c.writeStatus(ctx, app, result); err != nil {
		return err
	}
	if _, requested := app.Annotations[RefreshAnnotation]; requested {
		return c.clearRefreshAnnotation(ctx, app)
	}
	return nil
}

// compare renders the target state, reads the live state and compares them.
// Every failure becomes a condition on this Application only, with sync status
// Unknown: nothing is ever applied or pruned because of a failed comparison.
func (c *Controller) compare(ctx context.Context, app *v1alpha1.Application, hard bool) comparison {
	destination, err := c.clusters.For(app.Spec.Destination)
	if err != nil {
		return failed(v1alpha1.ApplicationConditionInvalidSpecError, err)
	}
	kubeVersion, apiVersions, err := destination.Versions()
	if err != nil {
		return failed(v1alpha1.ApplicationConditionComparisonError, err)
	}
	desired, err := c.targets.Target(ctx, app, kubeVersion, apiVersions, hard)
	if err != nil {
		return failed(v1alpha1.ApplicationConditionComparisonError, err)
	}
	targets, err := c.prepareTargets(ctx, destination, app, desired.Objects)
	if err != nil {
		result := failed(v1alpha1.ApplicationConditionComparisonError, err)
		result.target = desired
		return result
	}
	live, err := c.liveObjects(ctx, destination, app, targets)
	if err != nil {
		result := failed(v1alpha1.ApplicationConditionComparisonError, err)
		result.target = desired
		return result
	}
	result := comparison{target: desired, syncStatus: v1alpha1.SyncStatusCodeSynced}
	rules := diff.NewIgnoreRules(0, app.Spec.IgnoreDifferences)
	applier := dryRunApplier{cluster: destination}
	var healths []health.ResourceHealth
	for _, key := range sortedKeys(targets, live) {
		targetObj, liveObj := targets[key], live[key]
		status := v1alpha1.ResourceStatus{
			Group: key.Group, Kind: key.Kind, Namespace: key.Namespace, Name: key.Name,
			Status: v1alpha1.SyncStatusCodeSynced,
		}
		if obj := firstNonNil(targetObj, liveObj); obj != nil {
			status.Version = obj.GroupVersionKind().Version
			status.SyncWave = syncWave(obj)
		}
		switch {
		case targetObj == nil:
			status.Status = v1alpha1.SyncStatusCodeOutOfSync
			status.RequiresPruning = true
		default:
			modified, err := c.differ.Modified(ctx, targetObj, liveObj, applier, rules)
			if err != nil {
				result.conditions = append(result.conditions, condition(v1alpha1.ApplicationConditionComparisonError, err))
				status.Status = v1alpha1.SyncStatusCodeUnknown
			} else if modified {
				status.Status = v1alpha1.SyncStatusCodeOutOfSync
			}
		}
		if status.Status != v1alpha1.SyncStatusCodeSynced && result.syncStatus == v1alpha1.SyncStatusCodeSynced {
			result.syncStatus = v1alpha1.SyncStatusCodeOutOfSync
		}
		if status.Status == v1alpha1.SyncStatusCodeUnknown {
			result.syncStatus = v1alpha1.SyncStatusCodeUnknown
		}
		resourceHealth := c.assess(liveObj)
		status.Health = resourceHealth
		healths = append(healths, health.NewResourceHealth(liveObj, targetObj, resourceHealth))
		result.resources = append(result.resources, status)
	}
	result.health = health.Aggregate(healths)
	return result
}

func failed(conditionType v1alpha1.ApplicationConditionType, err error) comparison {
	return comparison{
		syncStatus: v1alpha1.SyncStatusCodeUnknown,
		health:     v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusUnknown},
		conditions: []v1alpha1.ApplicationCondition{condition(conditionType, err)},
	}
}

func condition(conditionType v1alpha1.ApplicationConditionType, err error) v1alpha1.ApplicationCondition {
	return v1alpha1.ApplicationCondition{Type: conditionType, Message: err.Error()}
}

// prepareTargets keys the target objects, fills in the destination namespace of
// namespaced objects that have none, and makes sure their kinds are watched.
func (c *Controller) prepareTargets(ctx context.Context, destination *cluster.Cluster, app *v1alpha1.Application, objects []*unstructured.Unstructured) (map[cluster.ResourceKey]*unstructured.Unstructured, error) {
	targets := make(map[cluster.ResourceKey]*unstructured.Unstructured, len(objects))
	var errs []error
	for _, obj := range objects {
		mapping, err := destination.Cache.Watch(ctx, obj.GroupVersionKind())
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", obj.GetKind(), obj.GetName(), err))
			continue
		}
		obj = obj.DeepCopy()
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			if obj.GetNamespace() == "" {
				obj.SetNamespace(app.Spec.Destination.Namespace)
			}
		} else {
			obj.SetNamespace("")
		}
		cluster.SetTracking(obj, app.Namespace, app.Name)
		key := cluster.KeyOf(obj)
		if _, duplicate := targets[key]; duplicate {
			errs = append(errs, fmt.Errorf("%s appears more than once in the target state", key))
			continue
		}
		targets[key] = obj
	}
	return targets, errors.Join(errs...)
}

// liveObjects returns the live objects of an Application: the cached objects
// tracked to it (without ownerReferences), plus untracked objects that match a
// target by key, which are adopted.
func (c *Controller) liveObjects(ctx context.Context, destination *cluster.Cluster, app *v1alpha1.Application, targets map[cluster.ResourceKey]*unstructured.Unstructured) (map[cluster.ResourceKey]*unstructured.Unstructured, error) {
	instance := cluster.AppInstance(app.Namespace, app.Name)
	live := map[cluster.ResourceKey]*unstructured.Unstructured{}
	for _, obj := range destination.Cache.ObjectsOf(cluster.InstanceLabelValue(app.Namespace, app.Name)) {
		tracking, ok := cluster.TrackingOf(obj)
		if !ok || tracking.AppInstance != instance || len(obj.GetOwnerReferences()) > 0 {
			continue
		}
		live[tracking.Key] = obj
	}
	for key, target := range targets {
		if _, ok := live[key]; ok {
			continue
		}
		mapping, err := destination.Cache.Mapping(target.GroupVersionKind())
		if err != nil {
			return nil, err
		}
		if obj, ok := destination.Cache.Get(mapping.Resource, key.Namespace, key.Name); ok {
			live[key] = obj
			continue
		}
		// Not tracked yet: look it up once; an existing object is adopted by key.
		obj, err := destination.Dynamic.Resource(mapping.Resource).Namespace(key.Namespace).Get(ctx, key.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("get %s: %w", key, err)
		}
		live[key] = obj
	}
	return live, nil
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
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	return keys
}

func firstNonNil(objs ...*unstructured.Unstructured) *unstructured.Unstructured {
	for _, obj := range objs {
		if obj != nil {
			return obj
		}
	}
	return nil
}

// dryRunApplier predicts live objects with a server-side dry-run apply.
type dryRunApplier struct {
	cluster *cluster.Cluster
}

// FieldManager is the field manager of everything Capstan applies.
const FieldManager = "capstan"

func (a dryRunApplier) DryRunApply(ctx context.Context, target *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	mapping, err := a.cluster.Cache.Mapping(target.GroupVersionKind())
	if err != nil {
		return nil, err
	}
	data, err := target.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return a.cluster.Dynamic.Resource(mapping.Resource).Namespace(target.GetNamespace()).Patch(ctx, target.GetName(),
		types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: ptrTrue(), DryRun: []string{metav1.DryRunAll}})
}

func ptrTrue() *bool { t := true; return &t }
