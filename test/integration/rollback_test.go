package integration

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestRollbackSyncsToAHistoryEntry(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	apps := s.client.CapstanV1alpha1().Applications("default")
	app, err := apps.Create(ctx, newApplication("guestbook", "default"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	old := *app.Spec.Source.DeepCopy()
	old.Path = "old-path"
	app.Status.History = v1alpha1.RevisionHistories{{ID: 1, Revision: "1111111111111111111111111111111111111111", Source: old, DeployedAt: metav1.Now()}}
	if app, err = apps.UpdateStatus(ctx, app, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	if _, err := apps.Rollback(ctx, "guestbook", &v1alpha1.ApplicationRollbackRequest{ID: 7}, metav1.CreateOptions{}); !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "id 7") {
		t.Errorf("rollback to an unknown id: got %v, want 400 naming the id", err)
	}
	rolled, err := apps.Rollback(ctx, "guestbook", &v1alpha1.ApplicationRollbackRequest{ID: 1, Prune: true}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("rollback: %v", err)
	}
	sync := rolled.Operation.Sync
	if sync.Revision != "1111111111111111111111111111111111111111" || sync.Source == nil || sync.Source.Path != "old-path" || !sync.Prune {
		t.Errorf("rollback operation = %+v, want the history entry's revision and source with prune", sync)
	}
	if _, err := apps.Rollback(ctx, "guestbook", &v1alpha1.ApplicationRollbackRequest{ID: 1}, metav1.CreateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("rollback during an operation: got %v, want 409", err)
	}

	automated := newApplication("automated", "default")
	automated.Spec.SyncPolicy = &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{}}
	if _, err := apps.Create(ctx, automated, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.Rollback(ctx, "automated", &v1alpha1.ApplicationRollbackRequest{ID: 1}, metav1.CreateOptions{}); !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "auto-sync") {
		t.Errorf("rollback with automated sync: got %v, want 400 about auto-sync", err)
	}
}
