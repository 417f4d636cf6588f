package application

import (
	"context"
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// What the controller wrote is the copy it works on until the informer
// delivers that write; after a conflict the next copy is read, once.
func TestCurrentCopy(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, compared(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusHealthy))
	stale := testApp()
	stale.ResourceVersion = "10"
	f.apps = []*v1alpha1.Application{stale}
	c := f.controller()

	got, err := c.current(ctx, stale.Namespace, stale.Name)
	if err != nil || got.ResourceVersion != "10" {
		t.Fatalf("current = %v, %v; want the informer's copy at 10", got, err)
	}

	written := stale.DeepCopy()
	written.ResourceVersion = "12"
	written.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}}
	c.wrote(written)
	if got, _ := c.current(ctx, stale.Namespace, stale.Name); got != written {
		t.Fatalf("current = %s, want the copy written at 12 while the informer has 10", got.ResourceVersion)
	}
	older := stale.DeepCopy()
	older.ResourceVersion = "11"
	c.wrote(older)
	if got, _ := c.current(ctx, stale.Namespace, stale.Name); got != written {
		t.Fatalf("current = %s, want 12: an older write does not replace a newer one", got.ResourceVersion)
	}

	// The informer delivers the write: its copy is used again, and nothing is kept.
	delivered := written.DeepCopy()
	if err := f.appInformer.GetIndexer().Update(delivered); err != nil {
		t.Fatal(err)
	}
	c.applicationChanged(stale, delivered)
	if got, _ := c.current(ctx, stale.Namespace, stale.Name); got != delivered {
		t.Fatalf("current = %p, want the informer's copy once it has the write", got)
	}
	if len(c.written) != 0 {
		t.Errorf("%d written copies kept after the informer delivered them", len(c.written))
	}

	// A conflict: the next copy is read from the API server (the fake
	// clientset has the original at 10), once.
	c.conflicted("apps/guestbook")
	f.client.ClearActions()
	if _, err := c.current(ctx, stale.Namespace, stale.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := c.current(ctx, stale.Namespace, stale.Name); err != nil {
		t.Fatal(err)
	}
	gets := 0
	for _, action := range f.client.Actions() {
		if action.GetVerb() == "get" {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("%d reads after a conflict, want 1", gets)
	}
}

// The comparison that follows an operation's last step writes the end with
// its status, in one write; when that write fails the end is not recorded
// and the caller takes the step again.
func TestReconcileEndingWritesTheEndWithTheComparison(t *testing.T) {
	running := func(a *v1alpha1.Application) {
		a.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "abc123"}, InitiatedBy: v1alpha1.OperationInitiator{Automated: true}}
		a.Status.OperationState = &v1alpha1.OperationState{Operation: *a.Operation.DeepCopy(), Phase: v1alpha1.OperationRunning,
			SyncResult: &v1alpha1.SyncOperationResult{Revision: "abc123"}}
		a.Status.Sync.Status = v1alpha1.SyncStatusCodeOutOfSync
		a.Status.Health.Status = v1alpha1.HealthStatusMissing
	}
	// setUp returns a controller whose comparison finds the running
	// Application Synced and Healthy.
	setUp := func(t *testing.T) (*fixture, *Controller, *v1alpha1.Application) {
		f := newFixture(t, compared(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusHealthy))
		app := testApp(automatedApp, running)
		f.apps = []*v1alpha1.Application{app}
		f.projects = []*v1alpha1.AppProject{defaultProject()}
		return f, f.controller(), app
	}
	t.Run("one write", func(t *testing.T) {
		f, c, app := setUp(t)
		end := &operationEnd{running: app, state: app.Status.OperationState, phase: v1alpha1.OperationSucceeded, message: "successfully synced"}
		if err := c.reconcileEnding(context.Background(), "apps/guestbook", app, end); err != nil {
			t.Fatal(err)
		}
		if !end.written {
			t.Error("end.written = false")
		}
		if writes := f.writes(); len(writes) != 1 || writes[0] != "update/status" {
			t.Fatalf("writes %v, want one status write", writes)
		}
		written := f.written("update/status")
		if written.Operation != nil || written.Status.OperationState.Phase != v1alpha1.OperationSucceeded || len(written.Status.History) != 1 {
			t.Errorf("operation %+v, state %+v, history %d: want the operation ended as Succeeded with one history entry",
				written.Operation, written.Status.OperationState, len(written.Status.History))
		}
		if written.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced || written.Status.Health.Status != v1alpha1.HealthStatusHealthy {
			t.Errorf("sync/health %s/%s, want the comparison's Synced/Healthy in the same write", written.Status.Sync.Status, written.Status.Health.Status)
		}
	})
	t.Run("a failed write records nothing", func(t *testing.T) {
		f, c, app := setUp(t)
		f.client.PrependReactor("update", "applications", func(clienttesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "capstan.dev", Resource: "applications"}, "guestbook", errors.New("changed"))
		})
		end := &operationEnd{running: app, state: app.Status.OperationState, phase: v1alpha1.OperationSucceeded, message: "successfully synced"}
		err := c.reconcileEnding(context.Background(), "apps/guestbook", app, end)
		if !apierrors.IsConflict(err) || end.written {
			t.Fatalf("err %v, written %v; want the conflict and the end not written", err, end.written)
		}
	})
}
