package sync

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

// versionedCluster is a fakeCluster whose caller remembers what its applies
// returned, as the controller's object cache does (AppliedVersions).
type versionedCluster struct {
	*fakeCluster
	applied map[cluster.ResourceKey]string
}

func (v versionedCluster) Apply(ctx context.Context, obj *unstructured.Unstructured, opts ApplyOptions) (Applied, error) {
	out, err := v.fakeCluster.Apply(ctx, obj, opts)
	if err == nil && !opts.DryRun {
		v.applied[cluster.KeyOf(obj)] = out.Object.GetResourceVersion()
	}
	return out, err
}

func (v versionedCluster) NotOlderThanApplied(obj *unstructured.Unstructured) bool {
	applied, ok := v.applied[cluster.KeyOf(obj)]
	return ok && len(obj.GetResourceVersion()) >= len(applied) && obj.GetResourceVersion() >= applied
}

func TestAHealthyCachedCopyAtTheAppliedVersionNeedsNoConfirmation(t *testing.T) {
	fake := newFakeCluster()
	client := versionedCluster{fakeCluster: fake, applied: map[cluster.ResourceKey]string{}}
	plan := mustPlan(t, PlanInput{Targets: []*unstructured.Unstructured{
		deployment("web"), configMap("after", AnnotationSyncWave, "1"),
	}})
	step := func(live map[cluster.ResourceKey]*unstructured.Unstructured, previous v1alpha1.ResourceResults) StepOutput {
		t.Helper()
		out, err := Sync(context.Background(), StepInput{Plan: plan, Previous: previous, Live: live, Client: client})
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		return out
	}
	first := step(fake.live(), nil)
	fake.tick() // the Deployment becomes available

	t.Run("a cached copy from before the apply is confirmed with a GET", func(t *testing.T) {
		stale := fake.live()
		web := cluster.KeyOf(deployment("web"))
		stale[web] = fake.live()[web].DeepCopy()
		stale[web].SetResourceVersion("0")
		gets := fake.gets
		step(stale, first.Resources)
		if fake.gets == gets {
			t.Errorf("a healthy copy older than the apply was trusted without a GET")
		}
	})
	t.Run("the watched copy at or after the applied version is trusted", func(t *testing.T) {
		gets := fake.gets
		out := step(fake.live(), first.Resources)
		if fake.gets != gets {
			t.Errorf("the sync sent %d GETs to confirm a copy at least as new as its apply", fake.gets-gets)
		}
		if r := result(out.Resources, "after"); r == nil || r.Status != v1alpha1.ResultCodeSynced {
			t.Errorf("the next wave did not start on the healthy Deployment: %+v", r)
		}
	})
}
