package application

import (
	"context"
	"testing"
	"time"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/compare"
)

// TestOnlyManagedObjectChangesCompareAtTheRecentRevision drives one
// Application through the controller's event paths and looks at what each
// comparison was asked: after a change of its managed objects alone it
// compares at the revision its last comparison resolved (no Git listing to
// wait for); after anything else, or once --app-resync has passed, it
// resolves its sources again.
func TestOnlyManagedObjectChangesCompareAtTheRecentRevision(t *testing.T) {
	const key = "apps/guestbook"
	instance := cluster.InstanceLabelValue("apps", "guestbook")
	// Not quiet, so that every refresh compares.
	result := compared(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusHealthy)

	// setup returns a controller whose Application was compared once,
	// resolving its sources to abc123, with that status in the informer.
	setup := func(t *testing.T, first compare.Result) (*fixture, *Controller) {
		t.Helper()
		app := testApp()
		app.ResourceVersion = "1"
		f := newFixture(t, first)
		f.apps = []*v1alpha1.Application{app}
		f.projects = []*v1alpha1.AppProject{defaultProject()}
		c := f.controller()
		c.options.Resync = time.Hour
		c.applicationChanged(nil, app)
		if err := c.refresh(context.Background(), key); err != nil && first.Target != nil {
			t.Fatalf("refresh: %v", err)
		}
		if err := f.appInformer.GetIndexer().Update(f.stored(t, key)); err != nil {
			t.Fatal(err)
		}
		if last := f.lastAsked(t); last.Recent || last.Revision != "" {
			t.Fatalf("first comparison asked %+v, want the sources resolved", last)
		}
		f.comparer.result = result
		return f, c
	}
	resolvedAgain := func(t *testing.T, f *fixture, why string) {
		t.Helper()
		if last := f.lastAsked(t); last.Recent || last.Revision != "" || len(last.Revisions) != 0 {
			t.Errorf("asked Recent=%v Revision=%q Revisions=%v; want the sources resolved again: %s", last.Recent, last.Revision, last.Revisions, why)
		}
	}

	t.Run("a managed object changed: the recent revision", func(t *testing.T) {
		f, c := setup(t, result)
		for range 2 {
			c.ManagedObjectChanged(instance)
			f.refresh(c, key)
			if last := f.lastAsked(t); !last.Recent || last.Revision != "abc123" {
				t.Fatalf("asked Recent=%v Revision=%q, want the recent abc123", last.Recent, last.Revision)
			}
		}
	})
	t.Run("the Application changed", func(t *testing.T) {
		f, c := setup(t, result)
		f.update(c, key, func(a *v1alpha1.Application) {
			a.Generation = 2
			a.Spec.Source.Path = "guestbook-v2"
			a.ResourceVersion = "99"
		})
		c.ManagedObjectChanged(instance)
		f.refresh(c, key)
		resolvedAgain(t, f, "the spec changed")
		c.ManagedObjectChanged(instance)
		f.refresh(c, key)
		if last := f.lastAsked(t); !last.Recent {
			t.Errorf("after that resolution a managed object's change asked %+v, want the recent revision", last)
		}
	})
	t.Run("a refresh is asked for", func(t *testing.T) {
		f, c := setup(t, result)
		f.update(c, key, askRefresh)
		f.refresh(c, key)
		resolvedAgain(t, f, "a refresh request resolves, as Argo CD's normal refresh does")
	})
	t.Run("the project changed", func(t *testing.T) {
		f, c := setup(t, result)
		c.changed(key) // what the project's event handler does
		c.ManagedObjectChanged(instance)
		f.refresh(c, key)
		resolvedAgain(t, f, "not only managed objects changed")
	})
	t.Run("--app-resync passed since the last resolution", func(t *testing.T) {
		f, c := setup(t, result)
		c.options.Resync = time.Nanosecond
		c.ManagedObjectChanged(instance)
		f.refresh(c, key)
		resolvedAgain(t, f, "the periodic refresh finds new commits")
	})
	t.Run("the last comparison could not resolve", func(t *testing.T) {
		failed := compare.Result{SyncStatus: v1alpha1.SyncStatusCodeUnknown,
			Conditions: []v1alpha1.ApplicationCondition{{Type: v1alpha1.ApplicationConditionComparisonError, Message: "repository unreachable"}}}
		f, c := setup(t, failed)
		c.ManagedObjectChanged(instance)
		f.refresh(c, key)
		resolvedAgain(t, f, "nothing was resolved to reuse")
	})
}

// lastAsked returns the options of the last comparison.
func (f *fixture) lastAsked(t *testing.T) compare.Options {
	t.Helper()
	if len(f.comparer.asked) == 0 {
		t.Fatal("no comparison")
	}
	return f.comparer.asked[len(f.comparer.asked)-1]
}
