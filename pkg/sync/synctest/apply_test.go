package synctest

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/compare"
	syncengine "capstan.dev/capstan/pkg/sync"
)

func TestApplyModes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	applier := syncengine.NewKubeApplier(e.client, e.mapper)
	ctx := context.Background()
	apply := func(obj *unstructured.Unstructured, opts syncengine.ApplyOptions) syncengine.Applied {
		t.Helper()
		obj = obj.DeepCopy()
		obj.SetNamespace(e.namespace)
		opts.Validate = true
		applied, err := applier.Apply(ctx, obj, opts)
		if err != nil {
			t.Fatalf("apply %s: %v", obj.GetName(), err)
		}
		return applied
	}

	t.Run("server-side apply owns fields under manager capstan", func(t *testing.T) {
		applied := apply(newConfigMap("ssa", nil, map[string]any{"a": "1"}), syncengine.ApplyOptions{ServerSide: true})
		if applied.Verb != syncengine.VerbSSA || managerOf(applied.Object) != syncengine.FieldManager {
			t.Errorf("verb %s, managers %v", applied.Verb, applied.Object.GetManagedFields())
		}
	})
	t.Run("client-side apply creates, configures and leaves unchanged", func(t *testing.T) {
		cm := newConfigMap("csa", nil, map[string]any{"a": "1", "b": "2"})
		if verb := apply(cm, syncengine.ApplyOptions{}).Verb; verb != syncengine.VerbCreated {
			t.Errorf("first apply: %s", verb)
		}
		cm.Object["data"] = map[string]any{"a": "1"}
		applied := apply(cm, syncengine.ApplyOptions{})
		if applied.Verb != syncengine.VerbConfigured {
			t.Errorf("second apply: %s", applied.Verb)
		}
		if _, found := applied.Object.Object["data"].(map[string]any)["b"]; found {
			t.Errorf("a field removed from the target stays: %v", applied.Object.Object["data"])
		}
		if verb := apply(cm, syncengine.ApplyOptions{}).Verb; verb != syncengine.VerbUnchanged {
			t.Errorf("third apply: %s", verb)
		}
	})
	t.Run("client-side fields migrate to server-side apply", func(t *testing.T) {
		cm := newConfigMap("migrate", nil, map[string]any{"a": "1", "b": "2"})
		apply(cm, syncengine.ApplyOptions{})
		live := e.get(t, configMaps, "migrate")
		cm.Object["data"] = map[string]any{"a": "1"}
		applied := apply(cm, syncengine.ApplyOptions{ServerSide: true, Live: live, MigrateManagers: []string{syncengine.FieldManager}})
		if _, found := applied.Object.Object["data"].(map[string]any)["b"]; found {
			t.Errorf("a field owned by the old client-side apply stays: %v", applied.Object.Object["data"])
		}
	})
	t.Run("replace updates the whole object", func(t *testing.T) {
		apply(newConfigMap("replace", nil, map[string]any{"a": "1"}), syncengine.ApplyOptions{ServerSide: true})
		applied := apply(newConfigMap("replace", nil, map[string]any{"b": "2"}), syncengine.ApplyOptions{Replace: true})
		if applied.Verb != syncengine.VerbReplaced || len(applied.Object.Object["data"].(map[string]any)) != 1 {
			t.Errorf("verb %s, data %v", applied.Verb, applied.Object.Object["data"])
		}
	})
	t.Run("force re-creates what cannot change in place", func(t *testing.T) {
		first := apply(newJob("immutable", nil, annotations(kwokCompleteAfter, "1h")), syncengine.ApplyOptions{ServerSide: true})
		changed := newJob("immutable", nil, annotations(kwokCompleteAfter, "2h"))
		changed.SetNamespace(e.namespace)
		if _, err := applier.Apply(ctx, changed, syncengine.ApplyOptions{ServerSide: true, Validate: true}); err == nil {
			t.Fatalf("changing a Job's template was accepted without force")
		}
		applied := apply(changed, syncengine.ApplyOptions{ServerSide: true, Force: true})
		if applied.Verb != syncengine.VerbReplaced || applied.Object.GetUID() == first.Object.GetUID() {
			t.Errorf("verb %s, same object %v", applied.Verb, applied.Object.GetUID() == first.Object.GetUID())
		}
	})
	t.Run("Validate=false drops unknown fields in a client-side apply", func(t *testing.T) {
		odd := newConfigMap("odd", nil, nil)
		odd.Object["unknownField"] = "x"
		odd.SetNamespace(e.namespace)
		if _, err := applier.Apply(ctx, odd, syncengine.ApplyOptions{Validate: true}); err == nil {
			t.Errorf("an unknown field was accepted with validation")
		}
		if _, err := applier.Apply(ctx, odd, syncengine.ApplyOptions{}); err != nil {
			t.Errorf("an unknown field was refused without validation: %v", err)
		}
	})
	t.Run("finalizers are removed one by one", func(t *testing.T) {
		cm := newConfigMap("final", nil, nil)
		cm.SetFinalizers([]string{"example.com/a", syncengine.HookFinalizer})
		apply(cm, syncengine.ApplyOptions{ServerSide: true})
		key := cluster.ResourceKey{Kind: "ConfigMap", Namespace: e.namespace, Name: "final"}
		if err := applier.RemoveFinalizer(ctx, key, syncengine.HookFinalizer); err != nil {
			t.Fatal(err)
		}
		if got := e.get(t, configMaps, "final").GetFinalizers(); len(got) != 1 || got[0] != "example.com/a" {
			t.Errorf("finalizers = %v", got)
		}
		_ = applier.RemoveFinalizer(ctx, key, "example.com/a")
	})
}

func managerOf(obj *unstructured.Unstructured) string {
	for _, entry := range obj.GetManagedFields() {
		if entry.Operation == metav1.ManagedFieldsOperationApply {
			return entry.Manager
		}
	}
	return ""
}

func TestCustomResourceWithItsCRDInTheSameSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	group := "synctest.capstan.dev"
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "gadgets." + group},
		"spec": map[string]any{
			"group": group, "scope": "Namespaced",
			"names": map[string]any{"kind": "Gadget", "plural": "gadgets", "singular": "gadget", "listKind": "GadgetList"},
			"versions": []any{map[string]any{
				"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
			}},
		},
	}}
	t.Cleanup(func() {
		_ = e.client.Resource(crds).Delete(context.Background(), crd.GetName(), metav1.DeleteOptions{})
	})
	gadget := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": group + "/v1", "kind": "Gadget", "metadata": map[string]any{"name": "g"}, "spec": map[string]any{"size": int64(3)},
	}}
	gadgets := schema.GroupVersionResource{Group: group, Version: "v1", Resource: "gadgets"}
	e.watched = append(e.watched, crds)
	op := e.operation([]*unstructured.Unstructured{gadget, crd}, v1alpha1.SyncOperation{})

	out := op.finish(t)

	wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced")
	if _, err := e.client.Resource(gadgets).Namespace(e.namespace).Get(context.Background(), "g", metav1.GetOptions{}); err != nil {
		t.Errorf("the custom resource was not created: %v", err)
	}
}

func TestTerminateDeletesTheRunningHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	slow := newJob("slow", annotations(syncengine.AnnotationHook, "PreSync"), annotations(kwokCompleteAfter, "1h"))
	op := e.operation([]*unstructured.Unstructured{slow, newConfigMap("a", nil, nil)}, v1alpha1.SyncOperation{})
	wantPhase(t, op.step(t), v1alpha1.OperationRunning, "waiting for completion of hook batch/Job/slow")

	plan, err := syncengine.NewPlan(withLive(op.in, e.live(t)))
	if err != nil {
		t.Fatal(err)
	}
	out, err := syncengine.Sync(context.Background(), syncengine.StepInput{
		Plan: plan, Previous: op.previous, Live: e.live(t), Client: op.applier, Terminating: true,
	})
	if err != nil {
		t.Fatal(err)
	}

	wantPhase(t, out, v1alpha1.OperationFailed, "Operation terminated")
	if job := e.get(t, jobs, "slow"); job != nil && job.GetDeletionTimestamp() == nil {
		t.Errorf("the running hook was not deleted")
	}
	if e.get(t, configMaps, "a") != nil {
		t.Errorf("the sync went on after terminate")
	}
}

func withLive(in syncengine.PlanInput, live map[cluster.ResourceKey]*unstructured.Unstructured) syncengine.PlanInput {
	in.Live = live
	return in
}

// TestWhatAResourceActionWroteSurvivesTheNextSync: a restart action stamps the
// pod template under its own field manager; the next sync of the Deployment
// (ClientSideApplyMigration on, as by default) hands over only its own and
// kubectl's client-side apply fields, so the stamp stays and no second
// rollout starts. Written under the syncs' own manager, the migration would
// take the stamp over and the apply would remove it.
func TestWhatAResourceActionWroteSurvivesTheNextSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.operation([]*unstructured.Unstructured{newDeployment("web", nil, nil)}, v1alpha1.SyncOperation{})
	wantPhase(t, first.finish(t), v1alpha1.OperationSucceeded, "successfully synced")

	stamp := []byte(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-12-07T01:00:00Z"}}}}}`)
	if _, err := e.client.Resource(deployments).Namespace(e.namespace).Patch(context.Background(), "web", types.MergePatchType, stamp,
		metav1.PatchOptions{FieldManager: compare.ActionFieldManager}); err != nil {
		t.Fatalf("stamp: %v", err)
	}
	changed := newDeployment("web", nil, nil)
	changed.Object["spec"].(map[string]any)["replicas"] = int64(2)
	second := e.operation([]*unstructured.Unstructured{changed}, v1alpha1.SyncOperation{})
	wantPhase(t, second.finish(t), v1alpha1.OperationSucceeded, "successfully synced")

	web := e.get(t, deployments, "web")
	if replicas, _, _ := unstructured.NestedInt64(web.Object, "spec", "replicas"); replicas != 2 {
		t.Fatalf("the second sync was not applied: replicas %d", replicas)
	}
	if at, _, _ := unstructured.NestedString(web.Object, "spec", "template", "metadata", "annotations", "kubectl.kubernetes.io/restartedAt"); at == "" {
		t.Errorf("the sync removed the restart action's stamp from the pod template")
	}
}
