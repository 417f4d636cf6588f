package comparetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/compare"
	"capstan.dev/capstan/pkg/inspect"
)

func TestObjectsCreatedAfterAComparisonFoundNothingAreSeenByTheDiffAndLaterComparisons(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := newApplication(fmt.Sprintf("adopted-%04x", rand.IntN(1<<16)))
	objects := guestbookObjects()[:2]
	createNamespace(t, app.Spec.Destination.Namespace)
	comparer, _ := newComparer(ctx, t, objects)

	if result := comparer.Compare(ctx, app, compare.Options{}); result.SyncStatus != v1alpha1.SyncStatusCodeOutOfSync {
		t.Fatalf("before the objects exist: %s %v, want OutOfSync", result.SyncStatus, result.Conditions)
	}
	// Created by someone else, untracked: comparisons remember the objects as
	// absent for a while, but the diff looks again, and what it finds is
	// known to the comparisons that follow.
	applyObjects(t, app, objects, false)
	out, err := comparer.Diff(ctx, app, inspect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range out.Items {
		if item.Status != string(v1alpha1.SyncStatusCodeSynced) || item.Live == nil {
			t.Errorf("diff of the adopted %s %s: status %s, live %v; want Synced with the live object", item.Kind, item.Name, item.Status, item.Live != nil)
		}
	}
	if len(out.Items) != len(objects) {
		t.Errorf("the diff has %d items, want %d", len(out.Items), len(objects))
	}
	if result := comparer.Compare(ctx, app, compare.Options{}); result.SyncStatus != v1alpha1.SyncStatusCodeSynced {
		t.Errorf("a comparison after the diff found the objects: %s %v, want Synced", result.SyncStatus, result.Resources)
	}
}

func TestAHardComparisonThatFindsAnObjectRemembersIt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := newApplication(fmt.Sprintf("hard-%04x", rand.IntN(1<<16)))
	objects := guestbookObjects()[:1]
	createNamespace(t, app.Spec.Destination.Namespace)
	comparer, _ := newComparer(ctx, t, objects)

	if result := comparer.Compare(ctx, app, compare.Options{}); result.SyncStatus != v1alpha1.SyncStatusCodeOutOfSync {
		t.Fatalf("before the object exists: %s %v, want OutOfSync", result.SyncStatus, result.Conditions)
	}
	applyObjects(t, app, objects, false)
	if result := comparer.Compare(ctx, app, compare.Options{Hard: true}); result.SyncStatus != v1alpha1.SyncStatusCodeSynced {
		t.Fatalf("a hard comparison: %s %v, want Synced", result.SyncStatus, result.Resources)
	}
	if result := comparer.Compare(ctx, app, compare.Options{}); result.SyncStatus != v1alpha1.SyncStatusCodeSynced {
		t.Errorf("the normal comparison after a hard one: %s %v, want Synced", result.SyncStatus, result.Resources)
	}
}
