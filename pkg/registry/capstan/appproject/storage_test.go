package appproject_test

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistrytest "k8s.io/apiserver/pkg/registry/generic/testing"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/registry/capstan/appproject"
	"capstan.dev/capstan/pkg/registry/capstan/registrytest"
	"capstan.dev/capstan/pkg/scheme"
)

// newStorage builds the appprojects storage over a fresh embedded etcd.
func newStorage(t *testing.T) appproject.Storage {
	t.Helper()
	storage, err := appproject.NewStorage(scheme.Scheme, registrytest.NewEtcdRESTOptions(t, "appprojects"))
	if err != nil {
		t.Fatalf("appprojects storage: %v", err)
	}
	t.Cleanup(storage.AppProject.Store.DestroyFunc)
	return storage
}

// requestContext is the context of a request for a cluster-scoped resource.
func requestContext() context.Context {
	return genericapirequest.WithNamespace(genericapirequest.NewContext(), metav1.NamespaceNone)
}

// validAppProject is the brief's production project. Its role has no policies,
// which name the project, because the generic tester renames objects.
func validAppProject(name string) *capstan.AppProject {
	return &capstan.AppProject{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: capstan.AppProjectSpec{
			Description:                "Production applications",
			SourceRepos:                []string{"https://github.com/myorg/*"},
			Destinations:               []capstan.ApplicationDestination{{Namespace: "prod-*", Server: "https://prod.k8s.example.com"}},
			ClusterResourceWhitelist:   []capstan.ClusterResourceRestrictionItem{{Group: "", Kind: "Namespace"}},
			NamespaceResourceBlacklist: []metav1.GroupKind{{Group: "", Kind: "ResourceQuota"}},
			Roles: []capstan.ProjectRole{{
				Name:        "developer",
				Description: "Developer access",
				Groups:      []string{"developers"},
			}},
		},
	}
}

// createAppProject stores project through the main endpoint and returns what was stored.
func createAppProject(t *testing.T, storage appproject.Storage, project *capstan.AppProject) *capstan.AppProject {
	t.Helper()
	return registrytest.Create(t, requestContext(), storage.AppProject, project)
}

// getAppProject reads the stored AppProject name.
func getAppProject(t *testing.T, storage appproject.Storage, name string) *capstan.AppProject {
	t.Helper()
	return registrytest.Get[*capstan.AppProject](t, requestContext(), storage.AppProject, name)
}

// updateAppProject writes project through endpoint (the main or the status one).
func updateAppProject(endpoint rest.Updater, project *capstan.AppProject, options *metav1.UpdateOptions) (*capstan.AppProject, error) {
	return registrytest.Update(requestContext(), endpoint, project, options)
}

func TestCreate(t *testing.T) {
	storage := newStorage(t)
	// Cluster-scoped creates are tested with a named object: several cases
	// create it as it is.
	project := validAppProject("production")
	emptySourceRepo := validAppProject("empty-source-repo")
	emptySourceRepo.Spec.SourceRepos = []string{""}
	longDescription := validAppProject("long-description")
	longDescription.Spec.Description = strings.Repeat("x", 256)
	genericregistrytest.New(t, storage.AppProject.Store).ClusterScope().TestCreate(project, emptySourceRepo, longDescription)
}

func TestUpdate(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.AppProject.Store).ClusterScope().TestUpdate(
		validAppProject("production"),
		func(obj runtime.Object) runtime.Object {
			project := obj.(*capstan.AppProject)
			project.Spec.SourceRepos = append(project.Spec.SourceRepos, "https://charts.bitnami.com/bitnami")
			return project
		},
		func(obj runtime.Object) runtime.Object {
			project := obj.(*capstan.AppProject)
			project.Spec.SourceRepos = []string{"!*"}
			return project
		},
		func(obj runtime.Object) runtime.Object {
			project := obj.(*capstan.AppProject)
			project.Spec.Roles[0].Name = "-developer"
			return project
		},
	)
}

func TestDelete(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.AppProject.Store).ClusterScope().TestDelete(validAppProject("production"))
}

func TestGet(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.AppProject.Store).ClusterScope().TestGet(validAppProject("production"))
}

func TestList(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.AppProject.Store).ClusterScope().TestList(validAppProject("production"))
}

func TestWatch(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.AppProject.Store).ClusterScope().TestWatch(
		validAppProject("production"),
		[]labels.Set{},
		[]labels.Set{{"team": "web"}},
		[]fields.Set{{"metadata.name": "production"}},
		[]fields.Set{{"metadata.name": "other"}},
	)
}

func TestStatusAndSpecAreWrittenThroughTheirOwnEndpoints(t *testing.T) {
	storage := newStorage(t)
	tokens := map[string]capstan.JWTTokens{"developer": {Items: []capstan.JWTToken{{IssuedAt: 1700000000, ID: "ci"}}}}
	tests := []struct {
		name        string
		projectName string
		endpoint    rest.Updater
		// Every case writes a new spec, labels and status; check asserts which were kept.
		check func(t *testing.T, got *capstan.AppProject)
	}{
		{
			name:        "a status update keeps the stored spec and labels",
			projectName: "status-write",
			endpoint:    storage.Status,
			check: func(t *testing.T, got *capstan.AppProject) {
				if len(got.Status.JWTTokensByRole["developer"].Items) != 1 {
					t.Errorf("status.jwtTokensByRole = %v, want the written token", got.Status.JWTTokensByRole)
				}
				if got.Spec.Description != "Production applications" || got.Labels["team"] != "" {
					t.Errorf("spec.description = %q, labels %v: want the stored ones", got.Spec.Description, got.Labels)
				}
				if got.Generation != 1 {
					t.Errorf("generation = %d, want 1", got.Generation)
				}
			},
		},
		{
			name:        "a main update keeps the stored status",
			projectName: "main-write",
			endpoint:    storage.AppProject,
			check: func(t *testing.T, got *capstan.AppProject) {
				if got.Status.JWTTokensByRole != nil {
					t.Errorf("status.jwtTokensByRole = %v, want the stored none", got.Status.JWTTokensByRole)
				}
				if got.Spec.Description != "Staging applications" || got.Labels["team"] != "web" {
					t.Errorf("spec.description = %q, labels %v: want the written ones", got.Spec.Description, got.Labels)
				}
				if got.Generation != 2 {
					t.Errorf("generation = %d, want 2 after a spec change", got.Generation)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			project := createAppProject(t, storage, validAppProject(tt.projectName))
			project.Status.JWTTokensByRole = tokens
			project.Spec.Description = "Staging applications"
			project.Labels = map[string]string{"team": "web"}
			returned, err := updateAppProject(tt.endpoint, project, &metav1.UpdateOptions{})
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			tt.check(t, returned)
			tt.check(t, getAppProject(t, storage, project.Name))
		})
	}
}

func TestGenerationIncrementsOnlyOnSpecChange(t *testing.T) {
	storage := newStorage(t)
	createAppProject(t, storage, validAppProject("production"))
	// The steps run in order against the same AppProject.
	steps := []struct {
		name           string
		endpoint       rest.Updater
		change         func(*capstan.AppProject)
		wantGeneration int64
	}{
		{"a label change keeps generation 1", storage.AppProject,
			func(project *capstan.AppProject) { project.Labels = map[string]string{"team": "web"} }, 1},
		{"a status change keeps generation 1", storage.Status,
			func(project *capstan.AppProject) {
				project.Status.JWTTokensByRole = map[string]capstan.JWTTokens{"developer": {}}
			}, 1},
		{"a spec change increments generation to 2", storage.AppProject,
			func(project *capstan.AppProject) { project.Spec.SourceNamespaces = []string{"argocd"} }, 2},
		{"a generation written by the client is ignored", storage.AppProject,
			func(project *capstan.AppProject) { project.Generation = 10 }, 2},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			project := getAppProject(t, storage, "production")
			step.change(project)
			updated, err := updateAppProject(step.endpoint, project, &metav1.UpdateOptions{})
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			if updated.Generation != step.wantGeneration {
				t.Errorf("generation = %d, want %d", updated.Generation, step.wantGeneration)
			}
		})
	}
}

func TestDryRunUpdateStoresNothing(t *testing.T) {
	storage := newStorage(t)
	for _, endpoint := range []struct {
		name    string
		updater rest.Updater
	}{{"main", storage.AppProject}, {"status", storage.Status}} {
		t.Run("a dry-run "+endpoint.name+" update leaves the stored object alone", func(t *testing.T) {
			stored := createAppProject(t, storage, validAppProject("dry-run-"+endpoint.name))
			project := stored.DeepCopy()
			project.Spec.Description = "Staging applications"
			project.Status.JWTTokensByRole = map[string]capstan.JWTTokens{"developer": {}}
			if _, err := updateAppProject(endpoint.updater, project, &metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
				t.Fatalf("dry-run update: %v", err)
			}
			if after := getAppProject(t, storage, project.Name); after.ResourceVersion != stored.ResourceVersion {
				t.Errorf("dry-run update changed the stored object: description %q, tokens %v",
					after.Spec.Description, after.Status.JWTTokensByRole)
			}
		})
	}
}

func TestFinalizersKeepTheAppProjectUntilRemoved(t *testing.T) {
	storage := newStorage(t)
	project := validAppProject("production")
	project.Finalizers = []string{v1alpha1.ResourcesFinalizerName}
	registrytest.ExpectFinalizersHoldDeletion(t, requestContext(), storage.AppProject, project)
}

func TestTheDefaultProjectCannotBeDeleted(t *testing.T) {
	storage := newStorage(t)
	createAppProject(t, storage, validAppProject(v1alpha1.DefaultAppProjectName))
	for _, name := range []string{"team-a", "team-b"} {
		project := validAppProject(name)
		project.Labels = map[string]string{"team": name}
		createAppProject(t, storage, project)
	}
	all := &metainternalversion.ListOptions{}
	teamA := &metainternalversion.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{"team": "team-a"})}

	tests := []struct {
		name   string
		delete func() error
		// wantErr checks the error; nil means the deletion succeeds.
		wantErr func(error) bool
		// wantLeft are the projects that exist afterwards.
		wantLeft []string
	}{
		{
			name: "deleting the default project is forbidden",
			delete: func() error {
				_, _, err := storage.AppProject.Delete(requestContext(), v1alpha1.DefaultAppProjectName, rest.ValidateAllObjectFunc, &metav1.DeleteOptions{})
				return err
			},
			wantErr:  apierrors.IsForbidden,
			wantLeft: []string{"default", "team-a", "team-b"},
		},
		{
			name: "a dry-run delete of the default project is forbidden too",
			delete: func() error {
				_, _, err := storage.AppProject.Delete(requestContext(), v1alpha1.DefaultAppProjectName, rest.ValidateAllObjectFunc,
					&metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
				return err
			},
			wantErr:  apierrors.IsForbidden,
			wantLeft: []string{"default", "team-a", "team-b"},
		},
		{
			name: "another project can be deleted",
			delete: func() error {
				_, _, err := storage.AppProject.Delete(requestContext(), "team-b", rest.ValidateAllObjectFunc, &metav1.DeleteOptions{})
				return err
			},
			wantLeft: []string{"default", "team-a"},
		},
		{
			name: "a delete collection that selects only other projects deletes them",
			delete: func() error {
				_, err := storage.AppProject.DeleteCollection(requestContext(), rest.ValidateAllObjectFunc, &metav1.DeleteOptions{}, teamA)
				return err
			},
			wantLeft: []string{"default"},
		},
		{
			name: "a delete collection that includes the default project is forbidden and keeps it",
			delete: func() error {
				_, err := storage.AppProject.DeleteCollection(requestContext(), rest.ValidateAllObjectFunc, &metav1.DeleteOptions{}, all)
				return err
			},
			wantErr:  apierrors.IsForbidden,
			wantLeft: []string{"default"},
		},
	}
	// The cases run in order against the same projects.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.delete()
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("delete: %v", err)
			case tt.wantErr != nil && !tt.wantErr(err):
				t.Fatalf("delete: got %v, want a different error", err)
			}
			if tt.wantErr != nil && !strings.Contains(err.Error(), "default") {
				t.Errorf("error %q does not name the default project", err)
			}
			obj, err := storage.AppProject.List(requestContext(), all)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			var left []string
			for _, project := range obj.(*capstan.AppProjectList).Items {
				left = append(left, project.Name)
			}
			if strings.Join(left, ",") != strings.Join(tt.wantLeft, ",") {
				t.Errorf("projects left = %v, want %v", left, tt.wantLeft)
			}
		})
	}
}
