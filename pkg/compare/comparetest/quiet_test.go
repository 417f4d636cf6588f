package comparetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/compare"
)

// TestAComparisonIsQuietOnlyWhenEveryTargetIsWatched checks what lets the
// Application controller skip a periodic refresh (compare.Result.Quiet): a
// Synced comparison whose targets are all live and tracked is quiet, and its
// Inputs are what Comparer.Inputs resolves alone, without a request; objects
// adopted by key (not watched), a Missing target and a project that reports
// orphaned resources (untracked objects of the namespace) are not quiet,
// since only looking again can see them change.
func TestAComparisonIsQuietOnlyWhenEveryTargetIsWatched(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	objects := guestbookObjects()[:2] // a ConfigMap and a Service: Healthy at once
	comparer, counter := newComparer(ctx, t, objects)
	synced := func(t *testing.T, app *v1alpha1.Application, opts compare.Options) compare.Result {
		t.Helper()
		var result compare.Result
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			result = comparer.Compare(ctx, app, opts)
			return result.SyncStatus == v1alpha1.SyncStatusCodeSynced, nil
		})
		if err != nil {
			t.Fatalf("not Synced: %s %v", result.SyncStatus, result.Conditions)
		}
		return result
	}

	t.Run("tracked", func(t *testing.T) {
		app := newApplication(fmt.Sprintf("quiet-%04x", rand.IntN(1<<16)))
		deploy(t, app, objects)
		result := synced(t, app, compare.Options{})
		if !result.Quiet {
			t.Fatalf("a Synced comparison of tracked objects is not quiet: %v", result.Conditions)
		}
		before := counter.Count()
		inputs, err := comparer.Inputs(ctx, app, compare.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if inputs != result.Inputs {
			t.Errorf("Inputs resolved alone %+v, the comparison's %+v", inputs, result.Inputs)
		}
		if inputs.Revisions != "0123456789abcdef0123456789abcdef01234567" || inputs.Destination == nil {
			t.Errorf("Inputs %+v: want the rendered revision and the destination", inputs)
		}
		if sent := counter.Count() - before; sent != 0 {
			t.Errorf("resolving the inputs sent %d requests: %v", sent, counter.Recent())
		}
	})
	t.Run("tracked, at the recent revision", func(t *testing.T) {
		app := newApplication(fmt.Sprintf("quiet-%04x", rand.IntN(1<<16)))
		deploy(t, app, objects)
		resolved := synced(t, app, compare.Options{})
		recent := synced(t, app, compare.Options{Revision: resolved.Target.Revision, Recent: true})
		if !recent.Quiet || recent.Inputs != resolved.Inputs {
			t.Errorf("at the recent revision: quiet %v, inputs %+v; want quiet with the inputs of the comparison that resolved it (%+v)",
				recent.Quiet, recent.Inputs, resolved.Inputs)
		}
		if asked := synced(t, app, compare.Options{Revision: resolved.Target.Revision}); asked.Quiet {
			t.Error("a comparison at a revision asked for (not the recent one) is quiet: it does not stand for the Application's state")
		}
	})
	t.Run("orphaned resources reported", func(t *testing.T) {
		app := newApplication(fmt.Sprintf("quiet-%04x", rand.IntN(1<<16)))
		deploy(t, app, objects)
		opts := compare.Options{Project: &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "team"}, Spec: v1alpha1.AppProjectSpec{
			SourceNamespaces:  []string{app.Namespace},
			SourceRepos:       []string{"*"},
			Destinations:      []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}},
			OrphanedResources: &v1alpha1.OrphanedResourcesMonitorSettings{},
		}}}
		if result := synced(t, app, opts); result.Quiet {
			t.Error("quiet although the project reports orphaned resources, which are not watched")
		}
	})
	t.Run("adopted by key", func(t *testing.T) {
		app := newApplication(fmt.Sprintf("quiet-%04x", rand.IntN(1<<16)))
		createNamespace(t, app.Spec.Destination.Namespace)
		applyObjects(t, app, objects, false)
		if result := synced(t, app, compare.Options{Hard: true}); result.Quiet {
			t.Error("quiet although its objects are not tracked (not watched)")
		}
	})
	t.Run("missing", func(t *testing.T) {
		app := newApplication(fmt.Sprintf("quiet-%04x", rand.IntN(1<<16)))
		createNamespace(t, app.Spec.Destination.Namespace)
		applyObjects(t, app, objects[:1], true)
		result := comparer.Compare(ctx, app, compare.Options{})
		if result.SyncStatus != v1alpha1.SyncStatusCodeOutOfSync || result.Quiet {
			t.Errorf("one target missing: %s, quiet %v; want OutOfSync, not quiet", result.SyncStatus, result.Quiet)
		}
	})
}
