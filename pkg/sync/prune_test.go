package sync

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

func TestPrune(t *testing.T) {
	tests := []struct {
		name            string
		prune           bool
		annotations     []string
		options         v1alpha1.SyncOptions
		wantStatus      v1alpha1.ResultCode
		wantMessage     string
		wantPropagation string
	}{
		{name: "only when the operation prunes", wantStatus: v1alpha1.ResultCodePruneSkipped, wantMessage: "ignored (requires pruning)"},
		{name: "foreground by default", prune: true, wantStatus: v1alpha1.ResultCodePruned, wantMessage: "pruned", wantPropagation: "Foreground"},
		{name: "never with Prune=false", prune: true, annotations: []string{AnnotationSyncOptions, "Prune=false"}, wantStatus: v1alpha1.ResultCodePruneSkipped, wantMessage: "ignored (no prune)"},
		{name: "with PrunePropagationPolicy", prune: true, options: v1alpha1.SyncOptions{"PrunePropagationPolicy=background"}, wantStatus: v1alpha1.ResultCodePruned, wantMessage: "pruned", wantPropagation: "Background"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			cluster := newFakeCluster()
			cluster.put(configMap("old", test.annotations...))
			d := newDriver(t, cluster, PlanInput{
				Targets: []*unstructured.Unstructured{configMap("a")}, AppSyncOptions: test.options,
				Operation: v1alpha1.SyncOperation{Prune: test.prune},
			})

			out := d.finish()

			wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced")
			r := result(out.Resources, "old")
			if r == nil || r.Status != test.wantStatus || r.Message != test.wantMessage || r.HookPhase != v1alpha1.OperationSucceeded {
				t.Errorf("old result = %+v", r)
			}
			propagation, deleted := cluster.deletions["old"]
			if deleted != (test.wantPropagation != "") || string(propagation) != test.wantPropagation {
				t.Errorf("deleted %v with %q, want %q", deleted, propagation, test.wantPropagation)
			}
		})
	}
}

func TestPruneConfirmWaitsForApproval(t *testing.T) {
	cluster := newFakeCluster()
	cluster.put(configMap("old", AnnotationSyncOptions, "Prune=confirm"))
	in := PlanInput{Targets: []*unstructured.Unstructured{configMap("a")}, Operation: v1alpha1.SyncOperation{Prune: true}}
	d := newDriver(t, cluster, in)

	wantPhase(t, d.step(), v1alpha1.OperationRunning, "Waiting for pruning confirmation of v1/ConfigMap/old")
	wantPhase(t, d.step(), v1alpha1.OperationRunning, "Waiting for pruning confirmation of v1/ConfigMap/old")
	wantCalls(t, cluster)

	d.in.PruneConfirmed = true
	wantPhase(t, d.step(), v1alpha1.OperationSucceeded, "successfully synced")
	wantCalls(t, cluster, "delete ConfigMap/old", "apply ConfigMap/a")
}

func TestPruneLastPrunesAfterEverythingElse(t *testing.T) {
	for _, pruneLast := range []bool{false, true} {
		cluster := newFakeCluster()
		cluster.put(configMap("old"))
		in := PlanInput{
			Targets:   []*unstructured.Unstructured{configMap("a"), configMap("b", AnnotationSyncWave, "1")},
			Operation: v1alpha1.SyncOperation{Prune: true},
		}
		want := []string{"delete ConfigMap/old", "apply ConfigMap/a", "apply ConfigMap/b"}
		if pruneLast {
			in.AppSyncOptions = v1alpha1.SyncOptions{"PruneLast=true"}
			want = []string{"apply ConfigMap/a", "apply ConfigMap/b", "delete ConfigMap/old"}
		}

		wantPhase(t, newDriver(t, cluster, in).finish(), v1alpha1.OperationSucceeded, "successfully synced")
		wantCalls(t, cluster, want...)
	}
}

func TestPrunedObjectsBeingDeletedAreWaitedFor(t *testing.T) {
	fake := newFakeCluster()
	lingering := configMap("old")
	lingering.SetFinalizers([]string{"example.com/cleanup"})
	fake.put(lingering)
	d := newDriver(t, fake, PlanInput{
		Targets:   []*unstructured.Unstructured{configMap("a", AnnotationSyncWave, "1")},
		Operation: v1alpha1.SyncOperation{Prune: true},
	})

	d.step()
	wantPhase(t, d.step(), v1alpha1.OperationRunning, "waiting for deletion of /ConfigMap/old")

	_ = fake.RemoveFinalizer(context.Background(), cluster.KeyOf(lingering), "example.com/cleanup")
	wantPhase(t, d.finish(), v1alpha1.OperationSucceeded, "successfully synced")
	wantCalls(t, fake, "delete ConfigMap/old", "apply ConfigMap/a")
}
