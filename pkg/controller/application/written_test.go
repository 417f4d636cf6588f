package application

import (
	"context"
	"testing"

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
