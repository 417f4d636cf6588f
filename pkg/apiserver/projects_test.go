package apiserver

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/registry/capstan/application"
	"capstan.dev/capstan/pkg/registry/capstan/registrytest"
	"capstan.dev/capstan/pkg/scheme"
)

// StoredApplications lists the stored Applications of every namespace that
// the selector selects, with their metadata and spec and without their
// status, operation or managedFields; what it returns is the caller's own.
func TestStoredApplicationsListsMetadataAndSpec(t *testing.T) {
	storage, err := application.NewStorage(scheme.Scheme, registrytest.NewEtcdRESTOptions(t, "applications"), nil, application.Access{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(storage.Application.Store.DestroyFunc)
	stored := func(namespace, name string, labels map[string]string) {
		ctx := genericapirequest.WithNamespace(genericapirequest.NewContext(), namespace)
		app := registrytest.Create(t, ctx, storage.Application, &capstan.Application{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels, Annotations: map[string]string{"a": "b"}},
			Spec: capstan.ApplicationSpec{
				Project:     "default",
				Source:      &capstan.ApplicationSource{RepoURL: "https://git.example/" + name + ".git", Path: "deploy", TargetRevision: "main"},
				Destination: capstan.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: name},
			},
		})
		app.Status.Sync.Status = capstan.SyncStatusCodeSynced
		if _, err := registrytest.Update(ctx, storage.Status, app, &metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	stored("team-a", "one", map[string]string{"tier": "web"})
	stored("team-b", "two", map[string]string{"tier": "web"})
	stored("team-b", "three", map[string]string{"tier": "db"})
	lister := StoredApplications{lister: storage.Application}

	all, err := lister.List(labels.Everything())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("listed %d Applications, want the 3 of both namespaces", len(all))
	}
	for _, app := range all {
		if app.Spec.Source == nil || app.Spec.Source.RepoURL != "https://git.example/"+app.Name+".git" || app.Spec.Destination.Namespace != app.Name {
			t.Errorf("%s/%s: spec %+v, want the stored spec", app.Namespace, app.Name, app.Spec)
		}
		if app.Annotations["a"] != "b" || app.ResourceVersion == "" || app.UID == "" {
			t.Errorf("%s/%s: metadata %+v, want the stored metadata", app.Namespace, app.Name, app.ObjectMeta)
		}
		if app.Status.Sync.Status != "" || app.Operation != nil || app.ManagedFields != nil {
			t.Errorf("%s/%s: status %q, operation %v, %d managedFields; want none of them", app.Namespace, app.Name,
				app.Status.Sync.Status, app.Operation, len(app.ManagedFields))
		}
		// What a caller gets is its own.
		app.Spec.Source.Path = "changed"
		app.Annotations["a"] = "changed"
	}

	web, err := lister.List(labels.SelectorFromSet(labels.Set{"tier": "web"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(web) != 2 {
		t.Fatalf("listed %d Applications with tier=web, want 2", len(web))
	}
	for _, app := range web {
		if app.Spec.Source.Path != "deploy" || app.Annotations["a"] != "b" {
			t.Errorf("%s/%s: path %q, annotation %q: a caller's change reached the storage", app.Namespace, app.Name,
				app.Spec.Source.Path, app.Annotations["a"])
		}
	}
}
