package integration

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
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
	if _, err := apps.GetResourceTree(ctx, "guestbook", metav1.GetOptions{}); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("resourcetree in standalone mode: got %v, want 503", err)
	}
	// The query names the object: decoded, then refused for want of a destination.
	err := s.client.CapstanV1alpha1().RESTClient().Get().Namespace("default").Resource("applications").Name("guestbook").SubResource("resource").
		Param("group", "apps").Param("version", "v1").Param("resourceKind", "Deployment").Param("namespace", "guestbook").Param("resourceName", "web").
		Do(ctx).Error()
	if !apierrors.IsServiceUnavailable(err) {
		t.Errorf("resource in standalone mode: got %v, want 503", err)
	}
	if _, err := apps.GetDiff(ctx, "missing", metav1.GetOptions{}); !apierrors.IsServiceUnavailable(err) && !apierrors.IsNotFound(err) {
		t.Errorf("diff of a missing application: got %v", err)
	}
}

// POST applications/NAME/diff reads its body as the kind it names: a
// candidate Application or an ApplicationDiffRequest; others are refused.
func TestDiffPostsAreReadAsTheKindTheyName(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	apps := s.client.CapstanV1alpha1().Applications("default")
	if _, err := apps.Create(ctx, newApplication("guestbook", "default"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	post := func(body string) error {
		return s.client.CapstanV1alpha1().RESTClient().Post().Namespace("default").Resource("applications").Name("guestbook").
			SubResource("diff").SetHeader("Content-Type", "application/json").Body([]byte(body)).Do(ctx).Error()
	}
	request := &v1alpha1.ApplicationDiffRequest{Manifests: []runtime.RawExtension{{Raw: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}`)}}}
	if _, err := apps.DiffManifests(ctx, "guestbook", request, metav1.CreateOptions{}); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("an ApplicationDiffRequest: got %v, want 503 (read, then no destination)", err)
	}
	if err := post(`{"apiVersion":"capstan.dev/v1alpha1","kind":"Application","metadata":{"name":"guestbook"},"spec":{"project":"default","source":{"repoURL":"https://git.example.com/app","path":"."},"destination":{"server":"https://kubernetes.default.svc","namespace":"x"}}}`); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("a candidate Application: got %v, want 503 (read, then no destination)", err)
	}
	if err := post(`{"apiVersion":"capstan.dev/v1alpha1","kind":"ApplicationSyncRequest"}`); !apierrors.IsBadRequest(err) {
		t.Errorf("an ApplicationSyncRequest: got %v, want 400", err)
	}
	if err := post(`{"manifests":[]}`); !apierrors.IsBadRequest(err) {
		t.Errorf("a body without kind: got %v, want 400", err)
	}
}
