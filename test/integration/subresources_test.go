package integration

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Without a destination cluster (standalone), diff and manifests exist but
// answer 503 Service Unavailable with the reason.
func TestDiffAndManifestsNeedADestination(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	apps := s.client.CapstanV1alpha1().Applications("default")
	if _, err := apps.Create(ctx, newApplication("guestbook", "default"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.GetDiff(ctx, "guestbook", metav1.GetOptions{}); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("diff in standalone mode: got %v, want 503", err)
	}
	if _, err := apps.GetManifests(ctx, "guestbook", metav1.GetOptions{}); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("manifests in standalone mode: got %v, want 503", err)
	}
	if _, err := apps.GetDiff(ctx, "missing", metav1.GetOptions{}); !apierrors.IsServiceUnavailable(err) && !apierrors.IsNotFound(err) {
		t.Errorf("diff of a missing application: got %v", err)
	}
}
