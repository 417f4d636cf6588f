package synctest

import (
	"context"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	syncengine "capstan.dev/capstan/pkg/sync"
)

const (
	kwokCompleteAfter = "capstan.dev/kwok-complete-after"
	kwokReadyAfter    = "capstan.dev/kwok-ready-after"
	kwokFail          = "capstan.dev/kwok-fail"
)

// blueGreen is the seed's example: a PreSync check, the Deployment, a PostSync
// smoke test with generateName. The check and the rollout take two seconds
// each, so creation timestamps (whole seconds) tell the order apart.
func blueGreen(failCheck bool) []*unstructured.Unstructured {
	checkPod := annotations(kwokCompleteAfter, "2s")
	if failCheck {
		checkPod = annotations(kwokFail, "true")
	}
	smoke := newJob("", annotations(syncengine.AnnotationHook, "PostSync", syncengine.AnnotationSyncWave, "1"), nil)
	smoke.SetGenerateName("smoke-")
	return []*unstructured.Unstructured{
		newJob("check", annotations(syncengine.AnnotationHook, "PreSync", syncengine.AnnotationSyncWave, "-1"), checkPod),
		newDeployment("blue", annotations(syncengine.AnnotationSyncWave, "0"), annotations(kwokReadyAfter, "2s")),
		smoke,
	}
}

func TestBlueGreenRunsInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.operation(blueGreen(false), v1alpha1.SyncOperation{})

	out := op.finish(t)

	wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced")
	check, blue := e.get(t, jobs, "check"), e.get(t, deployments, "blue")
	smokeName := syncengine.HookName("smoke-", op.in.Revision, v1alpha1.SyncPhasePostSync, op.in.OperationID)
	smoke := e.get(t, jobs, smokeName)
	if check == nil || blue == nil || smoke == nil {
		t.Fatalf("objects: check %v, blue %v, %s %v", check != nil, blue != nil, smokeName, smoke != nil)
	}
	created := func(obj *unstructured.Unstructured) int64 { return obj.GetCreationTimestamp().Unix() }
	if !(created(check) < created(blue) && created(blue) < created(smoke)) {
		t.Errorf("creation times: check %s, blue %s, smoke %s; want strictly in this order",
			check.GetCreationTimestamp(), blue.GetCreationTimestamp(), smoke.GetCreationTimestamp())
	}
	for _, want := range []struct {
		kind, name string
		hookType   v1alpha1.HookType
		syncPhase  v1alpha1.SyncPhase
	}{
		{"Job", "check", v1alpha1.HookTypePreSync, v1alpha1.SyncPhasePreSync},
		{"Deployment", "blue", "", v1alpha1.SyncPhaseSync},
		{"Job", smokeName, v1alpha1.HookTypePostSync, v1alpha1.SyncPhasePostSync},
	} {
		r := result(out.Resources, want.kind, want.name)
		if r == nil || r.Status != v1alpha1.ResultCodeSynced || r.HookPhase != v1alpha1.OperationSucceeded ||
			r.HookType != want.hookType || r.SyncPhase != want.syncPhase {
			t.Errorf("%s %s result = %+v", want.kind, want.name, r)
		}
	}
	for _, hook := range []*unstructured.Unstructured{e.get(t, jobs, "check"), e.get(t, jobs, smokeName)} {
		if slices.Contains(hook.GetFinalizers(), syncengine.HookFinalizer) {
			t.Errorf("%s keeps the hook finalizer after it completed", hook.GetName())
		}
	}
	if r := result(out.Resources, "Deployment", "blue"); !slices.Contains(r.Images, "registry.k8s.io/pause:3.10") {
		t.Errorf("images = %v", r.Images)
	}
}

func TestFailingPreSyncHookRunsTheSyncFailHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	targets := append(blueGreen(true), newJob("notify", annotations(syncengine.AnnotationHook, "SyncFail"), nil))
	op := e.operation(targets, v1alpha1.SyncOperation{})

	out := op.finish(t)

	wantPhase(t, out, v1alpha1.OperationFailed, "one or more synchronization tasks completed unsuccessfully, reason: Job.batch "+e.namespace+"/check")
	if e.get(t, deployments, "blue") != nil {
		t.Errorf("the Deployment was created after the PreSync hook failed")
	}
	if r := result(out.Resources, "Job", "notify"); r == nil || r.HookPhase != v1alpha1.OperationSucceeded || r.SyncPhase != v1alpha1.SyncPhaseSyncFail {
		t.Errorf("notify result = %+v", r)
	}
	if e.get(t, jobs, "notify") == nil {
		t.Errorf("the SyncFail hook does not exist")
	}
}

func TestPrune(t *testing.T) {
	t.Parallel()
	for _, pruneLast := range []bool{false, true} {
		name := "prunes first in its wave"
		if pruneLast {
			name = "PruneLast prunes after every wave"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.create(t, configMaps, newConfigMap("old", nil, nil))
			var options []string
			if pruneLast {
				options = []string{"PruneLast=true"}
			}
			targets := []*unstructured.Unstructured{
				newConfigMap("a", nil, nil),
				newConfigMap("b", annotations(syncengine.AnnotationSyncWave, "1"), nil),
			}
			op := e.operation(targets, v1alpha1.SyncOperation{Prune: true}, options...)
			var oldWhenBCreated *bool
			op.observe = func(syncengine.StepOutput) {
				if oldWhenBCreated == nil && e.get(t, configMaps, "b") != nil {
					exists := e.get(t, configMaps, "old") != nil
					oldWhenBCreated = &exists
				}
			}

			out := op.finish(t)

			wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced")
			// A prune in the last wave ends the sync at once, as in Argo CD:
			// the foreground deletion may still be under way.
			if old := e.get(t, configMaps, "old"); old != nil && old.GetDeletionTimestamp() == nil {
				t.Errorf("old was not pruned")
			}
			if oldWhenBCreated == nil || *oldWhenBCreated != pruneLast {
				t.Errorf("old existed when b was created: %v, want %v", oldWhenBCreated != nil && *oldWhenBCreated, pruneLast)
			}
			if r := result(out.Resources, "ConfigMap", "old"); r == nil || r.Status != v1alpha1.ResultCodePruned {
				t.Errorf("old result = %+v", r)
			}
		})
	}
}

func TestWithoutPruneNothingIsDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create(t, configMaps, newConfigMap("old", nil, nil))
	op := e.operation([]*unstructured.Unstructured{newConfigMap("a", nil, nil)}, v1alpha1.SyncOperation{})

	out := op.finish(t)

	wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced")
	if r := result(out.Resources, "ConfigMap", "old"); r == nil || r.Status != v1alpha1.ResultCodePruneSkipped || e.get(t, configMaps, "old") == nil {
		t.Errorf("old result = %+v, exists %v", r, e.get(t, configMaps, "old") != nil)
	}
}

func TestCreateNamespace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	destination := e.namespace + "-created"
	t.Cleanup(func() { e.deleteNamespace(destination) })
	op := e.operation([]*unstructured.Unstructured{newConfigMap("settings", nil, map[string]any{"k": "v"})}, v1alpha1.SyncOperation{}, "CreateNamespace=true")
	op.in.DestinationNamespace = destination
	op.in.ManagedNamespaceMetadata = &v1alpha1.ManagedNamespaceMetadata{Labels: map[string]string{"team": "blue"}, Annotations: map[string]string{"owner": "sync"}}

	out := op.finish(t)

	wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced")
	ns := e.get(t, namespaces, destination)
	if ns == nil || ns.GetLabels()["team"] != "blue" || ns.GetAnnotations()["owner"] != "sync" {
		t.Fatalf("namespace = %v", ns)
	}
	created := e.client.Resource(configMaps).Namespace(destination)
	if _, err := created.Get(t.Context(), "settings", metav1.GetOptions{}); err != nil {
		t.Errorf("the ConfigMap is not in the created namespace: %v", err)
	}
	if r := result(out.Resources, "Namespace", destination); r == nil || r.SyncPhase != v1alpha1.SyncPhasePreSync {
		t.Errorf("namespace result = %+v", r)
	}
}

func TestDryRunOperationAppliesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.operation(blueGreen(false), v1alpha1.SyncOperation{DryRun: true})

	out := op.finish(t)

	wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced (dry run)")
	if len(op.steps) != 1 {
		t.Errorf("a dry run took %d steps", len(op.steps))
	}
	if e.get(t, jobs, "check") != nil || e.get(t, deployments, "blue") != nil {
		t.Errorf("a dry run created objects")
	}
	if r := result(out.Resources, "Deployment", "blue"); r == nil || !strings.HasSuffix(r.Message, "(dry run)") {
		t.Errorf("blue result = %+v", r)
	}
}

func TestRejectedObjectFailsTheSyncBeforeAnythingIsApplied(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bad := newDeployment("bad", nil, nil)
	_ = unstructured.SetNestedField(bad.Object, int64(-1), "spec", "replicas")
	op := e.operation([]*unstructured.Unstructured{newConfigMap("good", nil, nil), bad}, v1alpha1.SyncOperation{})

	out := op.finish(t)

	wantPhase(t, out, v1alpha1.OperationFailed, "one or more objects failed to apply (dry run), reason: Deployment.apps "+e.namespace+"/bad: ")
	if !strings.Contains(out.Message, "spec.replicas") {
		t.Errorf("the message does not say why: %q", out.Message)
	}
	if e.get(t, configMaps, "good") != nil {
		t.Errorf("an object was applied although the dry run failed")
	}
}

func TestResumeAfterDroppingAllState(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.operation(blueGreen(false), v1alpha1.SyncOperation{})
	first.until(t, func(syncengine.StepOutput) bool { return e.get(t, deployments, "blue") != nil })
	check := e.get(t, jobs, "check")

	// A new process: new clients, a new mapper, a new plan; only the results persisted.
	restarted := connect(t)
	restarted.namespace, restarted.app = e.namespace, e.app
	second := restarted.operation(blueGreen(false), v1alpha1.SyncOperation{})
	second.in.OperationID = first.in.OperationID
	second.previous = first.previous

	out := second.finish(t)

	wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced")
	if again := e.get(t, jobs, "check"); again == nil || again.GetUID() != check.GetUID() {
		t.Errorf("the PreSync hook ran again after the restart")
	}
	smokeName := syncengine.HookName("smoke-", first.in.Revision, v1alpha1.SyncPhasePostSync, first.in.OperationID)
	smoke, blue := e.get(t, jobs, smokeName), e.get(t, deployments, "blue")
	if smoke == nil || blue == nil {
		t.Fatalf("after the restart: smoke %v, blue %v", smoke != nil, blue != nil)
	}
	if smoke.GetCreationTimestamp().Time.Before(blue.GetCreationTimestamp().Time) {
		t.Errorf("smoke was created before blue")
	}
}

// waitingApplier holds the real apply of every ConfigMap until the real apply
// of a Deployment has started, or until a deadline; it records which.
type waitingApplier struct {
	syncengine.Applier
	deploymentStarted chan struct{}
	once              gosync.Once
	timedOut          atomic.Bool
}

func (a *waitingApplier) Apply(ctx context.Context, obj *unstructured.Unstructured, opts syncengine.ApplyOptions) (syncengine.Applied, error) {
	if !opts.DryRun {
		switch obj.GetKind() {
		case "Deployment":
			a.once.Do(func() { close(a.deploymentStarted) })
		case "ConfigMap":
			select {
			case <-a.deploymentStarted:
			case <-time.After(30 * time.Second):
				a.timedOut.Store(true)
			}
		}
	}
	return a.Applier.Apply(ctx, obj, opts)
}

// TestAnUnchangedObjectDoesNotHoldBackTheChangeOfALaterKind: on a real API
// server, the sync's dry run finds an existing ConfigMap that the sync leaves
// as it is, and its apply no longer makes the changed Deployment (a later
// kind in Argo CD's order) wait: the Deployment's apply starts while the
// ConfigMap's is held. Both are still applied, and the sync succeeds.
func TestAnUnchangedObjectDoesNotHoldBackTheChangeOfALaterKind(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	settings := newConfigMap("settings", nil, map[string]any{"mode": "fast"})
	first := e.operation([]*unstructured.Unstructured{settings, newDeployment("web", nil, nil)}, v1alpha1.SyncOperation{})
	wantPhase(t, first.finish(t), v1alpha1.OperationSucceeded, "successfully synced")

	changed := newDeployment("web", nil, nil)
	changed.Object["spec"].(map[string]any)["replicas"] = int64(2)
	op := e.operation([]*unstructured.Unstructured{settings, changed}, v1alpha1.SyncOperation{})
	applier := &waitingApplier{Applier: op.applier, deploymentStarted: make(chan struct{})}
	op.applier = applier

	out := op.finish(t)

	wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced")
	if applier.timedOut.Load() {
		t.Errorf("the unchanged ConfigMap's apply ran before the Deployment's started, as a group of its own")
	}
	if r := result(out.Resources, "ConfigMap", "settings"); r == nil || r.Status != v1alpha1.ResultCodeSynced {
		t.Errorf("settings result = %+v", r)
	}
	if web := e.get(t, deployments, "web"); web == nil || web.Object["spec"].(map[string]any)["replicas"] != int64(2) {
		t.Errorf("web was not changed: %v", web)
	}
}
