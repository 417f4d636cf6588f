package apiserver

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/registry/capstan/application"
	"capstan.dev/capstan/pkg/registry/capstan/applicationset"
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

// StoredApplicationSets lists the stored ApplicationSets of every namespace
// that the selector selects, with their metadata and spec and without their
// status.
func TestStoredApplicationSetsListsMetadataAndSpec(t *testing.T) {
	storage, err := applicationset.NewStorage(scheme.Scheme, registrytest.NewEtcdRESTOptions(t, "applicationsets"), applicationset.PreviewConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(storage.ApplicationSet.Store.DestroyFunc)
	stored := func(namespace, name string, labels map[string]string) {
		ctx := genericapirequest.WithNamespace(genericapirequest.NewContext(), namespace)
		appSet := registrytest.Create(t, ctx, storage.ApplicationSet, &capstan.ApplicationSet{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels},
			Spec: capstan.ApplicationSetSpec{
				GoTemplate: true,
				Generators: []capstan.ApplicationSetGenerator{{Git: &capstan.GitGenerator{
					RepoURL: "https://git.example/" + name + ".git", Revision: "main",
					Directories: []capstan.GitDirectoryGeneratorItem{{Path: "apps/*"}},
				}}},
				Template: capstan.ApplicationSetTemplate{
					Metadata: capstan.ApplicationSetTemplateMeta{Name: "{{.path.basename}}"},
					Spec: capstan.ApplicationSpec{
						Project:     "default",
						Source:      &capstan.ApplicationSource{RepoURL: "https://git.example/" + name + ".git", Path: "{{.path.path}}", TargetRevision: "main"},
						Destination: capstan.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "{{.path.basename}}"},
					},
				},
			},
		})
		appSet.Status.Conditions = []capstan.ApplicationSetCondition{{Type: "ResourcesUpToDate", Status: "True", Message: "all generated", Reason: "ApplicationSetUpToDate"}}
		if _, err := registrytest.Update(ctx, storage.Status, appSet, &metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	stored("team-a", "one", map[string]string{"tier": "web"})
	stored("team-b", "two", map[string]string{"tier": "db"})
	lister := StoredApplicationSets{lister: storage.ApplicationSet}

	all, err := lister.List(labels.Everything())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("listed %d ApplicationSets, want the 2 of both namespaces", len(all))
	}
	for _, appSet := range all {
		generators := appSet.Spec.Generators
		if len(generators) != 1 || generators[0].Git == nil || generators[0].Git.RepoURL != "https://git.example/"+appSet.Name+".git" {
			t.Errorf("%s/%s: generators %+v, want the stored Git generator", appSet.Namespace, appSet.Name, generators)
		}
		if len(appSet.Status.Conditions) != 0 || appSet.ManagedFields != nil || appSet.UID == "" {
			t.Errorf("%s/%s: %d conditions, %d managedFields, uid %q; want metadata without managedFields and no status",
				appSet.Namespace, appSet.Name, len(appSet.Status.Conditions), len(appSet.ManagedFields), appSet.UID)
		}
	}
	web, err := lister.List(labels.SelectorFromSet(labels.Set{"tier": "web"}))
	if err != nil || len(web) != 1 || web[0].Name != "one" {
		t.Fatalf("tier=web: %v, %v; want ApplicationSet one", web, err)
	}
}
