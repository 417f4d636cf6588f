package application_test

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/apiserver"
	"capstan.dev/capstan/pkg/registry/capstan/application"
	"capstan.dev/capstan/pkg/registry/capstan/registrytest"
)

// recordingEngine answers a one-item diff and remembers the Application it was given.
type recordingEngine struct {
	compared *v1alpha1.Application
}

func (e *recordingEngine) Diff(ctx context.Context, app *v1alpha1.Application, revision string, hard bool) (*v1alpha1.ApplicationDiff, error) {
	e.compared = app.DeepCopy()
	return &v1alpha1.ApplicationDiff{
		ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace},
		Items:      []v1alpha1.ResourceDiffItem{{Kind: "ConfigMap", Namespace: app.Spec.Destination.Namespace, Name: "settings", Status: "OutOfSync"}},
	}, nil
}

func (e *recordingEngine) Manifests(ctx context.Context, app *v1alpha1.Application, revision string, hard bool) (*v1alpha1.ApplicationManifests, error) {
	return &v1alpha1.ApplicationManifests{}, nil
}

func newStorageWithEngine(t *testing.T, engine application.Engine) application.Storage {
	t.Helper()
	storage, err := application.NewStorage(apiserver.Scheme, registrytest.NewEtcdRESTOptions(t, "applications"), engine)
	if err != nil {
		t.Fatalf("applications storage: %v", err)
	}
	t.Cleanup(storage.Application.Store.DestroyFunc)
	return storage
}

func TestPostingACandidateApplicationPreviewsItsDiff(t *testing.T) {
	engine := &recordingEngine{}
	storage := newStorageWithEngine(t, engine)
	stored := validApplication("guestbook")
	if _, err := storage.Application.Create(requestContext(), stored, rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("the candidate's unsaved spec is compared and nothing is stored", func(t *testing.T) {
		candidate := validApplication("")
		candidate.Namespace = ""
		candidate.Spec.Source.TargetRevision = "feature"
		out, err := storage.Diff.Create(requestContext(), "guestbook", candidate, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		diff, ok := out.(*capstan.ApplicationDiff)
		if !ok || diff.Name != "guestbook" || len(diff.Items) != 1 {
			t.Fatalf("got %#v", out)
		}
		if engine.compared.Name != "guestbook" || engine.compared.Namespace != namespace || engine.compared.Spec.Source.TargetRevision != "feature" {
			t.Errorf("compared %s/%s at %q, want the candidate named by the URL", engine.compared.Namespace, engine.compared.Name, engine.compared.Spec.Source.TargetRevision)
		}
		obj, err := storage.Application.Get(requestContext(), "guestbook", &metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := obj.(*capstan.Application).Spec.Source.TargetRevision; got != "HEAD" {
			t.Errorf("stored targetRevision = %q, want it unchanged", got)
		}
	})
	t.Run("an Application that does not exist yet can be previewed", func(t *testing.T) {
		if _, err := storage.Diff.Create(requestContext(), "new-app", validApplication("new-app"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := storage.Application.Get(requestContext(), "new-app", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("previewing created the Application: %v", err)
		}
	})
	t.Run("an invalid candidate is refused with the field named", func(t *testing.T) {
		candidate := validApplication("guestbook")
		candidate.Spec.Destination = capstan.ApplicationDestination{}
		_, err := storage.Diff.Create(requestContext(), "guestbook", candidate, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Errorf("got %v, want 422 Invalid", err)
		}
	})
	t.Run("a body naming another Application is refused", func(t *testing.T) {
		_, err := storage.Diff.Create(requestContext(), "guestbook", validApplication("other"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if !apierrors.IsBadRequest(err) {
			t.Errorf("got %v, want 400 BadRequest", err)
		}
	})
	t.Run("a body that is not an Application is refused", func(t *testing.T) {
		_, err := storage.Diff.Create(requestContext(), "guestbook", &capstan.ApplicationSyncRequest{}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if !apierrors.IsBadRequest(err) {
			t.Errorf("got %v, want 400 BadRequest", err)
		}
	})
}

func TestPostingACandidateWithoutAnEngineIsUnavailable(t *testing.T) {
	storage := newStorage(t)
	_, err := storage.Diff.Create(requestContext(), "guestbook", validApplication("guestbook"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if !apierrors.IsServiceUnavailable(err) {
		t.Errorf("got %v, want 503", err)
	}
}
