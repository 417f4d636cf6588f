package sync

import (
	"fmt"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

func TestBeforeHookCreationDeletesThePreviousInstanceFirst(t *testing.T) {
	fake := newFakeCluster()
	previous := job("check", AnnotationHook, "PreSync")
	previous.SetFinalizers([]string{HookFinalizer})
	_ = unstructured.SetNestedSlice(previous.Object, []any{map[string]any{"type": "Complete", "status": "True"}}, "status", "conditions")
	fake.put(previous)
	d := newDriver(t, fake, PlanInput{Targets: []*unstructured.Unstructured{job("check", AnnotationHook, "PreSync"), configMap("a")}})

	wantPhase(t, d.step(), v1alpha1.OperationRunning, "waiting for deletion of batch/Job/check")
	wantPhase(t, d.step(), v1alpha1.OperationRunning, "waiting for completion of hook batch/Job/check")
	if got := fake.objects[cluster.KeyOf(previous)]; got == nil || got.Object["status"] != nil {
		t.Fatalf("the hook was not re-created: %v", got)
	}
	wantPhase(t, d.finish(), v1alpha1.OperationSucceeded, "successfully synced")
	wantCalls(t, fake, "delete Job/check", "apply Job/check", "apply ConfigMap/a")
}

func TestHookWithoutBeforeHookCreationIsAppliedOverThePreviousInstance(t *testing.T) {
	fake := newFakeCluster()
	fake.put(job("check", AnnotationHook, "PreSync"))
	d := newDriver(t, fake, PlanInput{Targets: []*unstructured.Unstructured{
		job("check", AnnotationHook, "PreSync", AnnotationHookDeletePolicy, "HookSucceeded"),
	}})

	wantPhase(t, d.finish(), v1alpha1.OperationSucceeded, "successfully synced")
	wantCalls(t, fake, "apply Job/check", "delete Job/check")
}

func TestResumeAfterARestart(t *testing.T) {
	fake := newFakeCluster()
	hook := job("", AnnotationHook, "PreSync")
	hook.SetGenerateName("migrate-")
	targets := func() []*unstructured.Unstructured {
		return []*unstructured.Unstructured{hook.DeepCopy(), deployment("web"), configMap("late", AnnotationSyncWave, "2")}
	}
	in := PlanInput{AppNamespace: "apps", AppName: "web", Revision: "abcdef0123", OperationID: "1700000000", Targets: targets()}
	first := newDriver(t, fake, in)
	first.step()
	fake.tick()
	first.step()
	wantCalls(t, fake, "apply Job/migrate-abcdef0-presync-1700000000", "apply Deployment/web")

	// A new process: nothing but the persisted results and the cluster.
	persisted := slices.Clone(first.previous)
	in.Targets = targets()
	second := newDriver(t, fake, in)
	second.previous = persisted

	wantPhase(t, second.finish(), v1alpha1.OperationSucceeded, "successfully synced")
	wantCalls(t, fake, "apply Job/migrate-abcdef0-presync-1700000000", "apply Deployment/web", "apply ConfigMap/late")
	for name, count := range fake.created {
		if count != 1 {
			t.Errorf("%s was created %d times", name, count)
		}
	}
}

func TestTerminateDeletesRunningHooks(t *testing.T) {
	fake := newFakeCluster()
	d := newDriver(t, fake, PlanInput{Targets: blueGreen()})
	d.step()

	out := d.stepWith(StepInput{Terminating: true})

	wantPhase(t, out, v1alpha1.OperationFailed, "Operation terminated")
	wantCalls(t, fake, "apply Job/check", "delete Job/check")
	if r := result(out.Resources, "check"); r.Message != "Deleted" || r.HookPhase != v1alpha1.OperationSucceeded {
		t.Errorf("check result = %+v", r)
	}
	if len(fake.objects) != 0 {
		t.Errorf("objects left: %v", fake.objects)
	}
}

func TestRunningHookWhoseObjectVanishedFails(t *testing.T) {
	fake := newFakeCluster()
	d := newDriver(t, fake, PlanInput{Targets: blueGreen()})
	d.step()
	clear(fake.objects)

	out := d.finish()

	wantPhase(t, out, v1alpha1.OperationFailed, "Resource batch/Job/check is missing, it might have been deleted")
}

func TestStaleCacheDoesNotFinishATask(t *testing.T) {
	fake := newFakeCluster()
	d := newDriver(t, fake, PlanInput{Targets: blueGreen()})
	d.step()
	// The cache still shows a completed Job from before; the server has the new one.
	stale := fake.live()
	for _, obj := range stale {
		_ = unstructured.SetNestedSlice(obj.Object, []any{map[string]any{"type": "Complete", "status": "True"}}, "status", "conditions")
	}

	wantPhase(t, d.stepWith(StepInput{Live: stale}), v1alpha1.OperationRunning, "waiting for completion of hook batch/Job/check")
	wantCalls(t, fake, "apply Job/check")
}

func TestApplyOutOfSyncOnly(t *testing.T) {
	targets := []*unstructured.Unstructured{configMap("synced"), configMap("modified"), configMap("missing"), job("hook", AnnotationHook, "Sync")}
	outOfSync := map[cluster.ResourceKey]bool{
		cluster.KeyOf(configMap("synced")): false, cluster.KeyOf(configMap("modified")): true, cluster.KeyOf(configMap("missing")): true,
	}
	for _, only := range []bool{false, true} {
		fake := newFakeCluster()
		fake.put(configMap("synced"))
		fake.put(configMap("modified"))
		in := PlanInput{Targets: targets, OutOfSync: outOfSync}
		want := []string{"apply ConfigMap/missing", "apply ConfigMap/modified", "apply ConfigMap/synced", "apply Job/hook"}
		if only {
			in.AppSyncOptions = v1alpha1.SyncOptions{"ApplyOutOfSyncOnly=true"}
			want = []string{"apply ConfigMap/missing", "apply ConfigMap/modified", "apply Job/hook"}
		}
		wantPhase(t, newDriver(t, fake, in).finish(), v1alpha1.OperationSucceeded, "successfully synced")
		wantCalls(t, fake, want...)
	}
}

func TestCreateNamespaceRunsBeforeTheDryRun(t *testing.T) {
	fake := newFakeCluster()
	d := newDriver(t, fake, PlanInput{
		DestinationNamespace: "apps", AppSyncOptions: v1alpha1.SyncOptions{"CreateNamespace=true"},
		ManagedNamespaceMetadata: &v1alpha1.ManagedNamespaceMetadata{Labels: map[string]string{"team": "a"}},
		Targets:                  []*unstructured.Unstructured{object("v1", "ConfigMap", "apps", "a")},
	})

	out := d.finish()

	wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced")
	if first := fake.calls[0]; first != "apply Namespace/apps" {
		t.Errorf("first call %q, want the namespace before any dry run (calls %v)", first, fake.calls)
	}
	if r := result(out.Resources, "apps"); r == nil || r.Kind != "Namespace" || r.SyncPhase != v1alpha1.SyncPhasePreSync || r.HookPhase != v1alpha1.OperationSucceeded {
		t.Errorf("namespace result = %+v", r)
	}
	if labels := fake.objects[cluster.ResourceKey{Kind: "Namespace", Name: "apps"}].GetLabels(); labels["team"] != "a" {
		t.Errorf("namespace labels = %v", labels)
	}
}

func TestInvalidPlanFailsWithoutApplying(t *testing.T) {
	fake := newFakeCluster()
	d := newDriver(t, fake, PlanInput{
		Targets:      []*unstructured.Unstructured{configMap("a"), object("example.com/v1", "Widget", "default", "w")},
		IsNamespaced: fakeScopes("Widget"),
	})

	out := d.step()

	wantPhase(t, out, v1alpha1.OperationFailed, `one or more synchronization tasks are not valid, reason: Widget.example.com default/w: no matches for kind "Widget"`)
	wantCalls(t, fake)
	if r := result(out.Resources, "w"); r == nil || r.Status != v1alpha1.ResultCodeSyncFailed {
		t.Errorf("w result = %+v", r)
	}
}

func TestApplyFailureWithoutSyncFailHooks(t *testing.T) {
	fake := newFakeCluster()
	fake.reject["a"] = invalid("a", "immutable")
	d := newDriver(t, fake, PlanInput{Targets: []*unstructured.Unstructured{configMap("a")}})

	wantPhase(t, d.step(), v1alpha1.OperationFailed, `one or more objects failed to apply, reason: ConfigMap default/a: ConfigMap "a" is invalid`)
}

func TestResultsFollowThePlanOrder(t *testing.T) {
	var targets []*unstructured.Unstructured
	var want []string
	for i := range 40 {
		name := fmt.Sprintf("cm-%02d", i)
		targets = append(targets, configMap(name))
		want = append(want, name)
	}
	d := newDriver(t, newFakeCluster(), PlanInput{Targets: targets})

	out := d.step()

	var got []string
	for _, r := range out.Resources {
		got = append(got, r.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("results in the order %v", got)
	}
}
