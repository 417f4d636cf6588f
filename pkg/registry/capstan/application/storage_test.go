package application_test

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistrytest "k8s.io/apiserver/pkg/registry/generic/testing"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/registry/capstan/application"
	"capstan.dev/capstan/pkg/registry/capstan/registrytest"
	"capstan.dev/capstan/pkg/scheme"
)

// namespace is where the explicit tests keep their Applications; the generic
// tester uses its own.
const namespace = "default"

// newStorage builds the applications storage over a fresh embedded etcd.
func newStorage(t *testing.T) application.Storage {
	t.Helper()
	storage, err := application.NewStorage(scheme.Scheme, registrytest.NewEtcdRESTOptions(t, "applications"), nil, application.Access{})
	if err != nil {
		t.Fatalf("applications storage: %v", err)
	}
	t.Cleanup(storage.Application.Store.DestroyFunc)
	return storage
}

// requestContext is the context of a request in namespace.
func requestContext() context.Context {
	return genericapirequest.WithNamespace(genericapirequest.NewContext(), namespace)
}

// validApplication is the guestbook Application of Argo CD's examples.
func validApplication(name string) *capstan.Application {
	return &capstan.Application{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: capstan.ApplicationSpec{
			Project: "default",
			Source: &capstan.ApplicationSource{
				RepoURL:        "https://github.com/argoproj/argocd-example-apps.git",
				Path:           "guestbook",
				TargetRevision: "HEAD",
			},
			Destination: capstan.ApplicationDestination{
				Server:    "https://kubernetes.default.svc",
				Namespace: "guestbook",
			},
		},
	}
}

// createApplication stores app through the main endpoint and returns what was stored.
func createApplication(t *testing.T, storage application.Storage, app *capstan.Application) *capstan.Application {
	t.Helper()
	return registrytest.Create(t, requestContext(), storage.Application, app)
}

// getApplication reads the stored Application name.
func getApplication(t *testing.T, storage application.Storage, name string) *capstan.Application {
	t.Helper()
	return registrytest.Get[*capstan.Application](t, requestContext(), storage.Application, name)
}

// updateApplication writes app through endpoint (the main or the status one).
func updateApplication(endpoint rest.Updater, app *capstan.Application, options *metav1.UpdateOptions) (*capstan.Application, error) {
	return registrytest.Update(requestContext(), endpoint, app, options)
}

func TestCreate(t *testing.T) {
	storage := newStorage(t)
	test := genericregistrytest.New(t, storage.Application.Store)
	app := validApplication("")
	app.ObjectMeta = metav1.ObjectMeta{}
	// The invalid objects take the tester's namespace from its request context.
	withoutProject := validApplication("no-project")
	withoutProject.Namespace = ""
	withoutProject.Spec.Project = ""
	withServerAndName := validApplication("server-and-name")
	withServerAndName.Namespace = ""
	withServerAndName.Spec.Destination.Name = "in-cluster"
	test.TestCreate(app, withoutProject, withServerAndName)
}

func TestUpdate(t *testing.T) {
	storage := newStorage(t)
	test := genericregistrytest.New(t, storage.Application.Store)
	test.TestUpdate(
		validApplication("guestbook"),
		func(obj runtime.Object) runtime.Object {
			app := obj.(*capstan.Application)
			app.Spec.Source.Path = "helm-guestbook"
			return app
		},
		func(obj runtime.Object) runtime.Object {
			app := obj.(*capstan.Application)
			app.Spec.Project = ""
			return app
		},
		func(obj runtime.Object) runtime.Object {
			app := obj.(*capstan.Application)
			app.Spec.Destination.Server = "kubernetes.default.svc"
			return app
		},
	)
}

func TestDelete(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.Application.Store).TestDelete(validApplication("guestbook"))
}

func TestGet(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.Application.Store).TestGet(validApplication("guestbook"))
}

func TestList(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.Application.Store).TestList(validApplication("guestbook"))
}

func TestWatch(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.Application.Store).TestWatch(
		validApplication("guestbook"),
		[]labels.Set{},
		[]labels.Set{{"team": "web"}},
		[]fields.Set{
			{"metadata.name": "guestbook"},
			{"spec.project": "default"},
			{"spec.destination.server": "https://kubernetes.default.svc", "spec.destination.namespace": "guestbook"},
		},
		[]fields.Set{
			{"metadata.name": "other"},
			{"spec.project": "team-a"},
			{"status.sync.status": string(capstan.SyncStatusCodeSynced)},
		},
	)
}

func TestStatusAndSpecAreWrittenThroughTheirOwnEndpoints(t *testing.T) {
	storage := newStorage(t)
	tests := []struct {
		name     string
		appName  string
		endpoint rest.Updater
		// Every case writes a new spec, labels and status; check asserts which were kept.
		check func(t *testing.T, got *capstan.Application)
	}{
		{
			name:     "a status update keeps the stored spec and labels",
			appName:  "status-write",
			endpoint: storage.Status,
			check: func(t *testing.T, got *capstan.Application) {
				if got.Status.Sync.Status != capstan.SyncStatusCodeSynced {
					t.Errorf("status.sync.status = %q, want the written Synced", got.Status.Sync.Status)
				}
				if got.Spec.Source.Path != "guestbook" || got.Labels["team"] != "" {
					t.Errorf("spec.source.path = %q, labels %v: want the stored guestbook and no labels", got.Spec.Source.Path, got.Labels)
				}
				if got.Generation != 1 {
					t.Errorf("generation = %d, want 1", got.Generation)
				}
			},
		},
		{
			name:     "a main update keeps the stored status",
			appName:  "main-write",
			endpoint: storage.Application,
			check: func(t *testing.T, got *capstan.Application) {
				if got.Status.Sync.Status != "" {
					t.Errorf("status.sync.status = %q, want the stored empty status", got.Status.Sync.Status)
				}
				if got.Spec.Source.Path != "helm-guestbook" || got.Labels["team"] != "web" {
					t.Errorf("spec.source.path = %q, labels %v: want the written helm-guestbook and team=web", got.Spec.Source.Path, got.Labels)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := createApplication(t, storage, validApplication(tt.appName))
			app.Status.Sync.Status = capstan.SyncStatusCodeSynced
			app.Spec.Source.Path = "helm-guestbook"
			app.Labels = map[string]string{"team": "web"}
			returned, err := updateApplication(tt.endpoint, app, &metav1.UpdateOptions{})
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			tt.check(t, returned)
			tt.check(t, getApplication(t, storage, app.Name))
		})
	}
}

func TestGenerationIncrementsOnlyOnSpecChange(t *testing.T) {
	storage := newStorage(t)
	createApplication(t, storage, validApplication("guestbook"))
	// The steps run in order against the same Application.
	steps := []struct {
		name           string
		endpoint       rest.Updater
		change         func(*capstan.Application)
		wantGeneration int64
	}{
		{"a label change keeps generation 1", storage.Application,
			func(app *capstan.Application) { app.Labels = map[string]string{"team": "web"} }, 1},
		{"an operation change keeps generation 1", storage.Application,
			func(app *capstan.Application) {
				app.Operation = &capstan.Operation{Sync: &capstan.SyncOperation{Prune: true}}
			}, 1},
		{"a status change keeps generation 1", storage.Status,
			func(app *capstan.Application) { app.Status.Health.Status = capstan.HealthStatusHealthy }, 1},
		{"a spec change increments generation to 2", storage.Application,
			func(app *capstan.Application) { app.Spec.Source.Path = "helm-guestbook" }, 2},
		{"a generation written by the client is ignored", storage.Application,
			func(app *capstan.Application) { app.Generation = 10 }, 2},
		{"another spec change increments generation to 3", storage.Application,
			func(app *capstan.Application) { app.Spec.Destination.Namespace = "web" }, 3},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			app := getApplication(t, storage, "guestbook")
			step.change(app)
			updated, err := updateApplication(step.endpoint, app, &metav1.UpdateOptions{})
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			if updated.Generation != step.wantGeneration {
				t.Errorf("generation = %d, want %d", updated.Generation, step.wantGeneration)
			}
		})
	}
}

func TestDryRunStoresNothing(t *testing.T) {
	storage := newStorage(t)
	dryRun := []string{metav1.DryRunAll}

	t.Run("a dry-run create answers the object but does not store it", func(t *testing.T) {
		obj, err := storage.Application.Create(requestContext(), validApplication("dry-run"), rest.ValidateAllObjectFunc,
			&metav1.CreateOptions{DryRun: dryRun})
		if err != nil {
			t.Fatalf("dry-run create: %v", err)
		}
		if obj.(*capstan.Application).Generation != 1 {
			t.Errorf("dry-run create answered generation %d, want 1", obj.(*capstan.Application).Generation)
		}
		if _, err := storage.Application.Get(requestContext(), "dry-run", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("get after a dry-run create: got %v, want NotFound", err)
		}
	})

	for _, endpoint := range []struct {
		name    string
		updater rest.Updater
	}{{"main", storage.Application}, {"status", storage.Status}} {
		t.Run("a dry-run "+endpoint.name+" update answers the change but leaves the stored object alone", func(t *testing.T) {
			stored := createApplication(t, storage, validApplication("dry-run-"+endpoint.name))
			app := stored.DeepCopy()
			app.Spec.Source.Path = "helm-guestbook"
			app.Status.Sync.Status = capstan.SyncStatusCodeSynced
			if _, err := updateApplication(endpoint.updater, app, &metav1.UpdateOptions{DryRun: dryRun}); err != nil {
				t.Fatalf("dry-run update: %v", err)
			}
			after := getApplication(t, storage, app.Name)
			if after.ResourceVersion != stored.ResourceVersion || after.Spec.Source.Path != "guestbook" || after.Status.Sync.Status != "" {
				t.Errorf("after a dry-run update: resourceVersion %s -> %s, path %q, sync %q; want it unchanged",
					stored.ResourceVersion, after.ResourceVersion, after.Spec.Source.Path, after.Status.Sync.Status)
			}
		})
	}
}

func TestFinalizersKeepTheApplicationUntilRemoved(t *testing.T) {
	storage := newStorage(t)
	app := validApplication("guestbook")
	app.Finalizers = []string{v1alpha1.ResourcesFinalizerName}
	registrytest.ExpectFinalizersHoldDeletion(t, requestContext(), storage.Application, app)
}
