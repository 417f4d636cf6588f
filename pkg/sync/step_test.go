package sync

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// driver plans and runs steps as the operation processor does: a fresh plan
// and a fresh view of the live state before every step, and nothing carried
// from one step to the next but the results.
type driver struct {
	t        *testing.T
	cluster  *fakeCluster
	in       PlanInput
	previous v1alpha1.ResourceResults
}

func newDriver(t *testing.T, cluster *fakeCluster, in PlanInput) *driver {
	return &driver{t: t, cluster: cluster, in: in}
}

func (d *driver) step() StepOutput {
	d.t.Helper()
	return d.stepWith(StepInput{})
}

func (d *driver) stepWith(extra StepInput) StepOutput {
	d.t.Helper()
	in := d.in
	in.Live = d.cluster.live()
	plan := mustPlan(d.t, in)
	live := in.Live
	if extra.Live != nil {
		live = extra.Live
	}
	out, err := Sync(context.Background(), StepInput{
		Plan: plan, Previous: d.previous, Live: live, Client: d.cluster, Terminating: extra.Terminating,
	})
	if err != nil {
		d.t.Fatalf("Sync: %v", err)
	}
	d.previous = out.Resources
	return out
}

// finish steps, letting the simulated controllers run between steps, until
// the operation ends.
func (d *driver) finish() StepOutput {
	d.t.Helper()
	for range 50 {
		out := d.step()
		if out.Phase.IsCompleted() {
			return out
		}
		d.cluster.tick()
	}
	d.t.Fatalf("the operation did not end")
	return StepOutput{}
}

func wantPhase(t *testing.T, out StepOutput, phase v1alpha1.OperationPhase, message string) {
	t.Helper()
	if out.Phase != phase || !strings.Contains(out.Message, message) {
		t.Errorf("phase %s %q, want %s containing %q", out.Phase, out.Message, phase, message)
	}
}

// wantCalls compares the changes made to the cluster. Consecutive calls of
// the same verb on the same kind run in parallel, so their order is free.
func wantCalls(t *testing.T, cluster *fakeCluster, want ...string) {
	t.Helper()
	if got := parallelRuns(cluster.applied()); !reflect.DeepEqual(got, parallelRuns(want)) {
		t.Errorf("changes:\n got %v\nwant %v", cluster.applied(), want)
	}
}

func parallelRuns(calls []string) []string {
	out := slices.Clone(calls)
	group := func(call string) string { return call[:strings.LastIndex(call, "/")] }
	for start := 0; start < len(out); {
		end := start + 1
		for end < len(out) && group(out[end]) == group(out[start]) {
			end++
		}
		slices.Sort(out[start:end])
		start = end
	}
	return out
}

func TestSingleWaveWithoutHooksSucceedsRightAfterTheApply(t *testing.T) {
	cluster := newFakeCluster()
	d := newDriver(t, cluster, PlanInput{Targets: []*unstructured.Unstructured{configMap("a"), deployment("web")}})

	out := d.step()

	wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced (all tasks run)")
	wantCalls(t, cluster, "apply ConfigMap/a", "apply Deployment/web")
	web := result(out.Resources, "web")
	if web == nil || web.Status != v1alpha1.ResultCodeSynced || web.HookPhase != v1alpha1.OperationRunning || web.Message != "deployment.apps/web serverside-applied" {
		t.Errorf("web result = %+v", web)
	}
}

func blueGreen() []*unstructured.Unstructured {
	return []*unstructured.Unstructured{
		job("check", AnnotationHook, "PreSync", AnnotationSyncWave, "-1", AnnotationHookDeletePolicy, "HookSucceeded"),
		deployment("blue"),
		job("smoke", AnnotationHook, "PostSync", AnnotationSyncWave, "1", AnnotationHookDeletePolicy, "HookSucceeded"),
	}
}

func TestWavesAdvanceWhenThePreviousWaveIsHealthy(t *testing.T) {
	cluster := newFakeCluster()
	d := newDriver(t, cluster, PlanInput{Targets: blueGreen()})

	wantPhase(t, d.step(), v1alpha1.OperationRunning, "waiting for completion of hook batch/Job/check")
	wantPhase(t, d.step(), v1alpha1.OperationRunning, "waiting for completion of hook batch/Job/check")
	wantCalls(t, cluster, "apply Job/check")

	cluster.tick()
	wantPhase(t, d.step(), v1alpha1.OperationRunning, "waiting for healthy state of apps/Deployment/blue")
	wantPhase(t, d.step(), v1alpha1.OperationRunning, "waiting for healthy state of apps/Deployment/blue")
	wantCalls(t, cluster, "apply Job/check", "apply Deployment/blue")

	cluster.tick()
	wantPhase(t, d.step(), v1alpha1.OperationRunning, "waiting for completion of hook batch/Job/smoke")
	cluster.tick()
	out := d.step()

	wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced (no more tasks)")
	wantCalls(t, cluster, "apply Job/check", "apply Deployment/blue", "apply Job/smoke", "delete Job/check", "delete Job/smoke")
	want := map[string][3]string{
		"check": {"PreSync", "PreSync", "Succeeded"},
		"blue":  {"", "Sync", "Succeeded"},
		"smoke": {"PostSync", "PostSync", "Succeeded"},
	}
	for name, fields := range want {
		r := result(out.Resources, name)
		if r == nil || string(r.HookType) != fields[0] || string(r.SyncPhase) != fields[1] || string(r.HookPhase) != fields[2] || r.Status != v1alpha1.ResultCodeSynced {
			t.Errorf("%s result = %+v, want hookType %q syncPhase %s hookPhase %s", name, r, fields[0], fields[1], fields[2])
		}
	}
}

func TestFailingPreSyncHookStopsTheSyncAndRunsSyncFailHooks(t *testing.T) {
	cluster := newFakeCluster()
	targets := append(blueGreen(),
		job("notify", AnnotationHook, "SyncFail"),
		job("cleanup", AnnotationHook, "SyncFail", AnnotationHookDeletePolicy, "HookFailed"))
	targets[0].SetAnnotations(map[string]string{AnnotationHook: "PreSync", "test/fail": "true", AnnotationHookDeletePolicy: "HookFailed"})
	d := newDriver(t, cluster, PlanInput{Targets: targets})

	out := d.finish()

	wantPhase(t, out, v1alpha1.OperationFailed, "one or more synchronization tasks completed unsuccessfully, reason: Job.batch default/check: BackoffLimitExceeded")
	wantCalls(t, cluster, "apply Job/check", "delete Job/check", "apply Job/cleanup", "apply Job/notify", "delete Job/cleanup")
	if r := result(out.Resources, "check"); r.HookPhase != v1alpha1.OperationFailed {
		t.Errorf("check result = %+v", r)
	}
	if r := result(out.Resources, "notify"); r == nil || r.HookPhase != v1alpha1.OperationSucceeded || r.SyncPhase != v1alpha1.SyncPhaseSyncFail {
		t.Errorf("notify result = %+v", r)
	}
	if r := result(out.Resources, "blue"); r != nil {
		t.Errorf("the Deployment was synced after the failure: %+v", r)
	}
}

func invalid(name, message string) error {
	return apierrors.NewInvalid(schema.GroupKind{Kind: "ConfigMap"}, name, field.ErrorList{field.Invalid(field.NewPath("data"), "x", message)})
}

func TestDryRunFailureAppliesNothing(t *testing.T) {
	cluster := newFakeCluster()
	cluster.rejectDryRun["b"] = invalid("b", "bad data")
	d := newDriver(t, cluster, PlanInput{Targets: []*unstructured.Unstructured{configMap("a"), configMap("b", AnnotationSyncWave, "3"), job("fail", AnnotationHook, "SyncFail")}})

	out := d.step()

	wantPhase(t, out, v1alpha1.OperationFailed, `one or more objects failed to apply (dry run), reason: ConfigMap default/b: ConfigMap "b" is invalid`)
	wantCalls(t, cluster)
	if r := result(out.Resources, "b"); r == nil || r.Status != v1alpha1.ResultCodeSyncFailed || r.HookPhase != v1alpha1.OperationFailed {
		t.Errorf("b result = %+v", r)
	}
}

func TestApplyFailureStopsTheRemainingWaves(t *testing.T) {
	cluster := newFakeCluster()
	cluster.reject["mid"] = invalid("mid", "immutable")
	targets := []*unstructured.Unstructured{
		configMap("first"), configMap("mid", AnnotationSyncWave, "1"), configMap("last", AnnotationSyncWave, "2"),
		job("fail", AnnotationHook, "SyncFail"),
	}
	d := newDriver(t, cluster, PlanInput{Targets: targets})

	out := d.finish()

	wantPhase(t, out, v1alpha1.OperationFailed, "one or more synchronization tasks completed unsuccessfully, reason: ConfigMap default/mid")
	wantCalls(t, cluster, "apply ConfigMap/first", "apply ConfigMap/mid", "apply Job/fail")
	if r := result(out.Resources, "mid"); r.Status != v1alpha1.ResultCodeSyncFailed {
		t.Errorf("mid result = %+v", r)
	}
}

func TestDryRunOperationChangesNothing(t *testing.T) {
	cluster := newFakeCluster()
	cluster.put(configMap("old"))
	d := newDriver(t, cluster, PlanInput{
		Targets:   []*unstructured.Unstructured{configMap("a"), job("pre", AnnotationHook, "PreSync")},
		Operation: v1alpha1.SyncOperation{DryRun: true, Prune: true},
	})

	out := d.step()

	wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced (dry run)")
	wantCalls(t, cluster)
	for name, message := range map[string]string{"a": "configmap/a serverside-applied (dry run)", "pre": "job.batch/pre serverside-applied (dry run)", "old": "pruned (dry run)"} {
		if r := result(out.Resources, name); r == nil || r.Message != message || r.HookPhase != v1alpha1.OperationSucceeded {
			t.Errorf("%s result = %+v, want message %q", name, r, message)
		}
	}
}

func TestWavesOfKindsWithoutHealthAdvanceWithoutReadingTheCluster(t *testing.T) {
	cluster := newFakeCluster()
	d := newDriver(t, cluster, PlanInput{Targets: []*unstructured.Unstructured{
		configMap("first", AnnotationSyncWave, "1"), configMap("second", AnnotationSyncWave, "2"), configMap("third", AnnotationSyncWave, "3"),
	}})

	out := d.finish()

	wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced")
	if cluster.gets != 0 {
		t.Errorf("the sync read the cluster %d times; ConfigMaps in the cache need no confirmation", cluster.gets)
	}
}
