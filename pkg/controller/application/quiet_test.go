package application

import (
	"context"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/compare"
	"capstan.dev/capstan/pkg/refresh"
)

// TestPeriodicRefreshComparesOnlyWhatChanged drives the refreshes of one
// Application through the controller's own paths (its event handlers, the
// managed-object notifications, the refresh of a queued key) and counts the
// comparisons: a refresh after a quiet comparison compares again exactly when
// something it read may have changed.
func TestPeriodicRefreshComparesOnlyWhatChanged(t *testing.T) {
	const key = "apps/guestbook"
	quiet := compared(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusHealthy)
	quiet.Quiet = true
	quiet.Inputs = compare.Inputs{Revisions: "abc123", Settings: 1}

	// setup returns a controller whose Application was compared once, quietly,
	// with the status write seen by its informer as the watch would deliver it.
	setup := func(t *testing.T) (*fixture, *Controller) {
		t.Helper()
		app := testApp()
		app.ResourceVersion = "1"
		f := newFixture(t, quiet)
		f.comparer.inputs = quiet.Inputs
		f.apps = []*v1alpha1.Application{app}
		f.projects = []*v1alpha1.AppProject{defaultProject()}
		c := f.controller()
		c.applicationChanged(nil, app)
		f.refresh(c, key)
		if len(f.comparer.asked) != 1 || len(f.writes()) != 1 {
			t.Fatalf("first refresh: %d comparisons, writes %v; want 1 and one status write", len(f.comparer.asked), f.writes())
		}
		f.client.ClearActions()
		return f, c
	}
	comparisons := func(f *fixture) int { return len(f.comparer.asked) }

	t.Run("nothing changed: no comparison, no write", func(t *testing.T) {
		f, c := setup(t)
		for range 3 {
			f.refresh(c, key)
		}
		if n := comparisons(f); n != 1 {
			t.Errorf("%d comparisons after three quiet refreshes, want 1 (the first)", n)
		}
		// (The only reads are this test's, of what the fake server holds.)
		if writes := f.writes(); len(writes) != 0 {
			t.Errorf("quiet refreshes wrote %v, want nothing", writes)
		}
	})
	t.Run("a tracked object changed", func(t *testing.T) {
		f, c := setup(t)
		c.ManagedObjectChanged(cluster.InstanceLabelValue("apps", "guestbook"))
		f.refresh(c, key)
		if n := comparisons(f); n != 2 {
			t.Errorf("%d comparisons, want 2: a managed object's event must be compared", n)
		}
		f.refresh(c, key)
		if n := comparisons(f); n != 2 {
			t.Errorf("%d comparisons, want still 2: that comparison was quiet again", n)
		}
	})
	t.Run("a new revision", func(t *testing.T) {
		f, c := setup(t)
		f.comparer.inputs.Revisions = "def456"
		f.refresh(c, key)
		if n := comparisons(f); n != 2 {
			t.Errorf("%d comparisons, want 2: the branch moved", n)
		}
	})
	t.Run("settings, destination or versions changed", func(t *testing.T) {
		f, c := setup(t)
		f.comparer.inputs.Settings = 2
		f.refresh(c, key)
		if n := comparisons(f); n != 2 {
			t.Errorf("%d comparisons, want 2: argocd-cm changed", n)
		}
	})
	t.Run("the inputs cannot be resolved", func(t *testing.T) {
		f, c := setup(t)
		f.comparer.inputsErr = errors.New("repository unreachable")
		f.refresh(c, key)
		if n := comparisons(f); n != 2 {
			t.Errorf("%d comparisons, want 2: unknown inputs are compared (and held, reported)", n)
		}
	})
	t.Run("the Application changed", func(t *testing.T) {
		f, c := setup(t)
		f.update(c, key, func(a *v1alpha1.Application) { // no refresh asked: only the object differs
			a.Labels = map[string]string{"team": "a"}
			a.ResourceVersion = "99"
		})
		f.refresh(c, key)
		if n := comparisons(f); n != 2 {
			t.Errorf("%d comparisons, want 2: the Application is not the one compared", n)
		}
	})
	t.Run("a refresh is asked for", func(t *testing.T) {
		f, c := setup(t)
		f.update(c, key, askRefresh)
		f.refresh(c, key)
		if n := comparisons(f); n != 2 {
			t.Errorf("%d comparisons, want 2: a requested refresh always compares", n)
		}
	})
	t.Run("the project changed", func(t *testing.T) {
		f, c := setup(t)
		proj := defaultProject()
		proj.ResourceVersion = "7"
		if err := c.options.Projects.GetIndexer().Update(proj); err != nil {
			t.Fatal(err)
		}
		f.refresh(c, key)
		if n := comparisons(f); n != 2 {
			t.Errorf("%d comparisons, want 2: the project is not the one compared", n)
		}
	})
	t.Run("a comparison that is not quiet is not remembered", func(t *testing.T) {
		f, c := setup(t)
		f.comparer.result = compared(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusHealthy) // Quiet false: say, a target adopted by key
		c.ManagedObjectChanged(cluster.InstanceLabelValue("apps", "guestbook"))
		f.refresh(c, key)
		f.refresh(c, key)
		if n := comparisons(f); n != 3 {
			t.Errorf("%d comparisons, want 3: only a quiet comparison lets a refresh skip the next", n)
		}
	})
}

// update changes the Application of key as a user would: the fake API server
// stores the changed copy and the controller gets the informer's update event.
func (f *fixture) update(c *Controller, key string, change func(*v1alpha1.Application)) {
	f.t.Helper()
	old := f.stored(f.t, key)
	changed := old.DeepCopy()
	change(changed)
	f.store(f.t, changed)
	c.applicationChanged(old, changed)
}

// askRefresh asks for a normal refresh, as `kubectl annotate` would.
func askRefresh(a *v1alpha1.Application) {
	a.Annotations = map[string]string{refresh.Annotation: refresh.Normal}
}

// refresh runs one refresh of key, as a worker does, and puts the
// Application it wrote into the informer, as the watch would.
func (f *fixture) refresh(c *Controller, key string) {
	f.t.Helper()
	if err := c.refresh(context.Background(), key); err != nil {
		f.t.Fatalf("refresh: %v", err)
	}
	app := f.stored(f.t, key)
	if err := f.appInformer.GetIndexer().Update(app); err != nil {
		f.t.Fatal(err)
	}
}

// stored returns the Application of key as the fake API server holds it.
func (f *fixture) stored(t *testing.T, key string) *v1alpha1.Application {
	t.Helper()
	namespace, name, _ := cache.SplitMetaNamespaceKey(key)
	app, err := f.client.CapstanV1alpha1().Applications(namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// store writes app to the fake API server and to the informer.
func (f *fixture) store(t *testing.T, app *v1alpha1.Application) {
	t.Helper()
	stored, err := f.client.CapstanV1alpha1().Applications(app.Namespace).Update(context.Background(), app, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.appInformer.GetIndexer().Update(stored); err != nil {
		t.Fatal(err)
	}
}

// TestAnOperationStartsFromTheInformersCopy checks the read an operation step
// begins with: the informer's copy (or what this controller wrote since,
// TestCurrentCopy), whose resourceVersion each write is conditional on; after
// a conflict, the server's latest copy.
func TestAnOperationStartsFromTheInformersCopy(t *testing.T) {
	op := &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "main"}}
	running := func(a *v1alpha1.Application) {
		a.Operation = op.DeepCopy()
		a.Status.OperationState = &v1alpha1.OperationState{Operation: *op.DeepCopy(), Phase: v1alpha1.OperationRunning, StartedAt: metav1.Now()}
	}
	for _, test := range []struct {
		name       string
		app        *v1alpha1.Application
		conflicted bool
		wantGet    bool
	}{
		{name: "a new operation", app: testApp(func(a *v1alpha1.Application) { a.Operation = op.DeepCopy() })},
		{name: "a new operation after a finished one", app: testApp(func(a *v1alpha1.Application) {
			a.Operation = op.DeepCopy()
			a.Status.OperationState = &v1alpha1.OperationState{Operation: *op.DeepCopy(), Phase: v1alpha1.OperationSucceeded}
		})},
		{name: "a running operation", app: testApp(running)},
		{name: "a running operation whose last write conflicted", app: testApp(running), conflicted: true, wantGet: true},
	} {
		t.Run(test.name, func(t *testing.T) {
			f := newFixture(t, compare.Result{Conditions: []v1alpha1.ApplicationCondition{{Type: v1alpha1.ApplicationConditionComparisonError, Message: "render failed"}}})
			f.apps = []*v1alpha1.Application{test.app}
			f.projects = []*v1alpha1.AppProject{defaultProject()}
			c := f.controller()
			if test.conflicted {
				c.conflicted("apps/guestbook")
			}
			if _, err := c.advanceOperation(context.Background(), "apps/guestbook"); err != nil {
				t.Fatal(err)
			}
			actions := f.client.Actions()
			if len(actions) == 0 {
				t.Fatal("the step sent nothing")
			}
			first := actions[0].GetVerb() + "/" + actions[0].GetSubresource()
			if got := first == "get/"; got != test.wantGet {
				t.Errorf("first request %s; want a GET first: %v", first, test.wantGet)
			}
		})
	}
}
