package comparetest

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/compare"
	syncengine "capstan.dev/capstan/pkg/sync"
	"capstan.dev/capstan/test/localplane"
)

// drift changes the ConfigMap guestbook-config of app's namespace as a
// person with kubectl would, and waits until a comparison sees it.
func drift(ctx context.Context, t *testing.T, comparer *compare.Comparer, app *v1alpha1.Application) compare.Result {
	t.Helper()
	client, err := dynamic.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Resource(resources["ConfigMap"]).Namespace(app.Spec.Destination.Namespace).Patch(ctx, "guestbook-config",
		types.MergePatchType, []byte(`{"data":{"greeting":"drifted"}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"})
	if err != nil {
		t.Fatal(err)
	}
	var result compare.Result
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		result = comparer.Compare(ctx, app, compare.Options{})
		return result.SyncStatus == v1alpha1.SyncStatusCodeOutOfSync, nil
	})
	if err != nil {
		t.Fatalf("the drift was never seen: %s %v", result.SyncStatus, result.Conditions)
	}
	return result
}

// syncConfigMap runs the first step of a sync of app's ConfigMap, as an
// automated sync that heals it does (the controller's operation step).
func syncConfigMap(ctx context.Context, t *testing.T, comparer *compare.Comparer, app *v1alpha1.Application, result compare.Result) syncengine.StepOutput {
	t.Helper()
	plan, err := syncengine.NewPlan(syncengine.PlanInput{
		AppNamespace: app.Namespace, AppName: app.Name,
		DestinationNamespace: app.Spec.Destination.Namespace,
		Operation: v1alpha1.SyncOperation{Resources: []v1alpha1.SyncOperationResource{
			{Kind: "ConfigMap", Name: "guestbook-config", Namespace: app.Spec.Destination.Namespace},
		}},
		Targets:      result.AllTargets(),
		Live:         result.LiveWithHooks(),
		OutOfSync:    result.OutOfSync(),
		Revision:     result.Target.Revision,
		OperationID:  syncengine.OperationID(time.Now()),
		IsNamespaced: syncengine.IsNamespacedFunc(result.Cluster.Cache.RESTMapper()),
	})
	if err != nil {
		t.Fatal(err)
	}
	applier, err := comparer.SyncApplier(app, nil, result.Cluster)
	if err != nil {
		t.Fatal(err)
	}
	out, err := syncengine.Sync(ctx, syncengine.StepInput{
		Plan: plan, Live: result.LiveWithHooks(), Client: applier, Health: comparer.HealthAssessor(), Validator: result.Cluster.Schemas,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// configMapResult is the sync's result of the ConfigMap.
func configMapResult(t *testing.T, out syncengine.StepOutput) *v1alpha1.ResourceResult {
	t.Helper()
	for i := range out.Resources {
		if out.Resources[i].Kind == "ConfigMap" {
			return out.Resources[i]
		}
	}
	t.Fatalf("the sync has no result for the ConfigMap: %+v", out.Resources)
	return nil
}

// syncCounted runs syncConfigMap, which must sync the ConfigMap, and
// returns the dry runs and applies it sent.
func syncCounted(ctx context.Context, t *testing.T, comparer *compare.Comparer, counter *localplane.RequestCounter, app *v1alpha1.Application, result compare.Result) (dryRuns, applies int64) {
	t.Helper()
	dryRunsBefore, appliesBefore := counter.CountOf(localplane.RequestDryRun), counter.CountOf(localplane.RequestApply)
	out := syncConfigMap(ctx, t, comparer, app, result)
	if got := configMapResult(t, out); got.Status != v1alpha1.ResultCodeSynced {
		t.Fatalf("the ConfigMap's sync result is %s: %s", got.Status, got.Message)
	}
	return counter.CountOf(localplane.RequestDryRun) - dryRunsBefore, counter.CountOf(localplane.RequestApply) - appliesBefore
}

func TestASyncDoesNotRepeatTheDryRunOfTheComparisonThatFoundTheDrift(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := newApplication(fmt.Sprintf("heal-%04x", rand.IntN(1<<16)))
	objects := guestbookObjects()
	deploy(t, app, objects)
	comparer, counter := newComparer(ctx, t, objects)

	result := drift(ctx, t, comparer, app)
	dryRuns, applies := syncCounted(ctx, t, comparer, counter, app, result)
	if dryRuns != 0 {
		t.Errorf("the sync sent %d dry runs; the comparison had dry-run the same apply of the same version", dryRuns)
	}
	if applies != 1 {
		t.Errorf("the sync sent %d applies, want 1", applies)
	}
	client, err := dynamic.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	live, err := client.Resource(resources["ConfigMap"]).Namespace(app.Spec.Destination.Namespace).Get(ctx, "guestbook-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if greeting, _, _ := unstructured.NestedString(live.Object, "data", "greeting"); greeting != "hello" {
		t.Errorf("after the sync the greeting is %q, want hello", greeting)
	}

	// The apply is remembered in turn: syncing the object again, once the
	// watch brought the version the apply wrote, sends the apply alone (no
	// comparison in between: what it knows comes from the apply).
	key := cluster.ResourceKey{Kind: "ConfigMap", Namespace: app.Spec.Destination.Namespace, Name: "guestbook-config"}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		cached, ok := result.Cluster.Cache.Get(resources["ConfigMap"], key.Namespace, key.Name)
		return ok && cached.GetResourceVersion() == live.GetResourceVersion(), nil
	})
	if err != nil {
		t.Fatal("the watch never brought the applied version")
	}
	again := result
	again.Live = maps.Clone(result.Live)
	again.Live[key], _ = result.Cluster.Cache.Get(resources["ConfigMap"], key.Namespace, key.Name)
	dryRuns, applies = syncCounted(ctx, t, comparer, counter, app, again)
	if dryRuns != 0 {
		t.Errorf("the second sync sent %d dry runs of what the first applied", dryRuns)
	}
	if applies != 1 {
		t.Errorf("the second sync sent %d applies, want 1", applies)
	}
}

func TestAnApplyTheServerWarnsAboutIsDryRunAgainBeforeTheSyncAppliesIt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := newApplication(fmt.Sprintf("warned-%04x", rand.IntN(1<<16)))
	objects := guestbookObjects()
	deploy(t, app, objects)
	// A policy that warns about every write of a ConfigMap in the namespace:
	// the comparison's dry run is answered with a warning, so what it
	// accepted is not known to be accepted by the sync's strict validation.
	warnAboutConfigMaps(ctx, t, app.Spec.Destination.Namespace)
	comparer, counter := newComparer(ctx, t, objects)

	result := drift(ctx, t, comparer, app)
	dryRuns, applies := syncCounted(ctx, t, comparer, counter, app, result)
	if dryRuns != 1 {
		t.Errorf("the sync sent %d dry runs, want 1: the comparison's was answered with a warning", dryRuns)
	}
	if applies != 1 {
		t.Errorf("the sync sent %d applies, want 1", applies)
	}
}

// warningCounter counts the warnings of a client's responses.
type warningCounter struct{ count atomic.Int64 }

func (w *warningCounter) HandleWarningHeader(code int, agent, text string) { w.count.Add(1) }

// warnAboutConfigMaps makes the API server warn about every write of a
// ConfigMap in namespace (a ValidatingAdmissionPolicy with the Warn action)
// and waits until it does.
func warnAboutConfigMaps(ctx context.Context, t *testing.T, namespace string) {
	t.Helper()
	warnings := &warningCounter{}
	warned := rest.CopyConfig(config)
	warned.WarningHandler = warnings
	client, err := dynamic.NewForConfig(warned)
	if err != nil {
		t.Fatal(err)
	}
	name := "warn-" + namespace
	policies := schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicies"}
	bindings := schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicybindings"}
	policy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"matchConstraints": map[string]any{"resourceRules": []any{map[string]any{
				"apiGroups": []any{""}, "apiVersions": []any{"v1"}, "operations": []any{"CREATE", "UPDATE"}, "resources": []any{"configmaps"},
			}}},
			"validations": []any{map[string]any{"expression": "false", "message": "ConfigMaps of this namespace are watched"}},
		},
	}}
	binding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"policyName": name, "validationActions": []any{"Warn"},
			"matchResources": map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": namespace}}},
		},
	}}
	for _, obj := range []struct {
		resource schema.GroupVersionResource
		object   *unstructured.Unstructured
	}{{policies, policy}, {bindings, binding}} {
		if _, err := client.Resource(obj.resource).Create(ctx, obj.object, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = client.Resource(obj.resource).Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
	probe := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"guestbook-config"},"data":{"greeting":"probe"}}`)
	force := true
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		before := warnings.count.Load()
		_, err := client.Resource(resources["ConfigMap"]).Namespace(namespace).Patch(ctx, "guestbook-config", types.ApplyPatchType, probe,
			metav1.PatchOptions{FieldManager: "probe", Force: &force, DryRun: []string{metav1.DryRunAll}})
		return err == nil && warnings.count.Load() > before, nil
	})
	if err != nil {
		t.Fatal("the policy never warned")
	}
}
