package integration

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/generators"
	"capstan.dev/capstan/pkg/appset/plan"
	"capstan.dev/capstan/pkg/controller/applicationset"
	"capstan.dev/capstan/pkg/convert"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

// expectedApplication is what Argo CD generates for one Application of an
// example: the fields a user reads in `kubectl get app -o yaml`.
type expectedApplication struct {
	Name        string                          `json:"name"`
	Namespace   string                          `json:"namespace"`
	Project     string                          `json:"project"`
	Finalizers  []string                        `json:"finalizers"`
	Source      v1alpha1.ApplicationSource      `json:"source"`
	Destination v1alpha1.ApplicationDestination `json:"destination"`
	SyncPolicy  *v1alpha1.SyncPolicy            `json:"syncPolicy,omitempty"`
}

// exampleGitopsRepo is the repository the Git directory example reads; the
// test serves it on loopback with the layout the brief draws (apps/frontend,
// apps/backend, apps/database), plus a file and a nested directory under
// apps/ that the glob apps/* must not turn into Applications.
const exampleGitopsRepo = "https://github.com/myorg/gitops.git"

// exampleClusters are the cluster Secrets of argocd the Clusters example
// selects from: two labelled environment=production, one staging. The
// in-cluster destination has no Secret, so a selector never yields it.
var exampleClusters = []struct{ name, server, environment string }{
	{"prod-east", "https://prod-east.k8s.example.com", "production"},
	{"prod-west", "https://prod-west.k8s.example.com", "production"},
	{"staging", "https://staging.k8s.example.com", "staging"},
}

// resourcesFinalizer is the finalizer Argo CD puts on every generated
// Application whose template has none, unless
// syncPolicy.preserveResourcesOnDeletion is set
// (applicationset/utils RenderTemplateParams).
var resourcesFinalizer = []string{"resources-finalizer.argocd.argoproj.io"}

// expectedByAppSet are the Applications Argo CD generates from each example
// ApplicationSet, by ApplicationSet name, sorted by Application name.
// Generated Applications live in the ApplicationSet's namespace; a template
// without targetRevision leaves it empty (HEAD at sync).
var expectedByAppSet = map[string][]expectedApplication{
	// List generator: one Application per element, goTemplate fields.
	"my-apps": {
		{Name: "my-app-dev", Namespace: "argocd", Project: "default", Finalizers: resourcesFinalizer,
			Source:      v1alpha1.ApplicationSource{RepoURL: "https://github.com/myorg/myrepo.git", TargetRevision: "HEAD", Path: "k8s/overlays/dev"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://dev.k8s.example.com", Namespace: "dev"}},
		{Name: "my-app-prod", Namespace: "argocd", Project: "default", Finalizers: resourcesFinalizer,
			Source:      v1alpha1.ApplicationSource{RepoURL: "https://github.com/myorg/myrepo.git", TargetRevision: "HEAD", Path: "k8s/overlays/prod"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://prod.k8s.example.com", Namespace: "prod"}},
		{Name: "my-app-staging", Namespace: "argocd", Project: "default", Finalizers: resourcesFinalizer,
			Source:      v1alpha1.ApplicationSource{RepoURL: "https://github.com/myorg/myrepo.git", TargetRevision: "HEAD", Path: "k8s/overlays/staging"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://staging.k8s.example.com", Namespace: "staging"}},
	},
	// Clusters generator with a selector: the two production cluster
	// Secrets, by their data.name and data.server; not staging, not the
	// in-cluster destination.
	"cluster-addons": {
		{Name: "prod-east-monitoring", Namespace: "argocd", Project: "default", Finalizers: resourcesFinalizer,
			Source:      v1alpha1.ApplicationSource{RepoURL: "https://github.com/myorg/cluster-addons.git", Path: "monitoring"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://prod-east.k8s.example.com", Namespace: "monitoring"},
			SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true}}},
		{Name: "prod-west-monitoring", Namespace: "argocd", Project: "default", Finalizers: resourcesFinalizer,
			Source:      v1alpha1.ApplicationSource{RepoURL: "https://github.com/myorg/cluster-addons.git", Path: "monitoring"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://prod-west.k8s.example.com", Namespace: "monitoring"},
			SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true}}},
	},
	// Git directory generator over apps/*: one Application per directory
	// directly under apps/, path.path and path.basename.
	"apps": {
		{Name: "backend", Namespace: "argocd", Project: "default", Finalizers: resourcesFinalizer,
			Source:      v1alpha1.ApplicationSource{RepoURL: exampleGitopsRepo, Path: "apps/backend"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "backend"}},
		{Name: "database", Namespace: "argocd", Project: "default", Finalizers: resourcesFinalizer,
			Source:      v1alpha1.ApplicationSource{RepoURL: exampleGitopsRepo, Path: "apps/database"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "database"}},
		{Name: "frontend", Namespace: "argocd", Project: "default", Finalizers: resourcesFinalizer,
			Source:      v1alpha1.ApplicationSource{RepoURL: exampleGitopsRepo, Path: "apps/frontend"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "frontend"}},
	},
}

func TestExampleApplicationSetsGenerateTheApplicationsArgoCDWould(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{name: "the ApplicationSets of the examples directory", path: "../../artifacts/examples"},
		{name: "the ApplicationSets of the brief, converted from argoproj.io", path: "../../pkg/convert/testdata/seed.yaml"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			appSets := exampleAppSets(t, test.path)
			var names, want []string
			for _, appSet := range appSets {
				names = append(names, appSet.Name)
			}
			for name := range expectedByAppSet {
				want = append(want, name)
			}
			sort.Strings(names)
			sort.Strings(want)
			if !slices.Equal(names, want) {
				t.Fatalf("ApplicationSets of %s = %v, want %v: every example needs its expected Applications in expectedByAppSet", test.path, names, want)
			}

			s := startServer(t)
			gitServer := gittest.NewServer(t, gittest.ServerOptions{})
			gitServer.NewRepo(t, "gitops").CommitOn("main", gittest.Files{
				"apps/frontend/kustomization.yaml":               gittest.File("resources: []\n"),
				"apps/frontend/overlays/prod/kustomization.yaml": gittest.File("resources: []\n"),
				"apps/backend/kustomization.yaml":                gittest.File("resources: []\n"),
				"apps/database/kustomization.yaml":               gittest.File("resources: []\n"),
				"apps/README.md":                                 gittest.File("one directory per application\n"),
			})
			served := gitServer.RepoURL("gitops")
			clusters := exampleClusterSecrets(t)
			startAppSetController(t, s, applicationset.Options{Clusters: clusters},
				generators.Sources{Git: newGitCacheSource(t), Clusters: clusters, RepositoryNamespace: "argocd"})
			ctx := context.Background()
			var created []*v1alpha1.ApplicationSet
			for _, appSet := range appSets {
				appSet, err := s.client.CapstanV1alpha1().ApplicationSets(appSet.Namespace).Create(ctx, withRepoURL(t, appSet, exampleGitopsRepo, served), metav1.CreateOptions{})
				if err != nil {
					t.Fatalf("create ApplicationSet %s: %v", appSet.Name, err)
				}
				created = append(created, appSet)
			}
			for _, appSet := range created {
				want := expectedByAppSet[appSet.Name]
				var got []expectedApplication
				waitFor(t, "ApplicationSet "+appSet.Name+" generates "+strings.Join(expectedNames(want), ", "), func(ctx context.Context) (bool, error) {
					list, err := s.client.CapstanV1alpha1().Applications(appSet.Namespace).List(ctx, metav1.ListOptions{})
					if err != nil {
						return false, err
					}
					got = nil
					for i := range list.Items {
						if plan.OwnedBy(&list.Items[i], appSet) {
							got = append(got, generatedApplication(&list.Items[i], served, exampleGitopsRepo))
						}
					}
					sort.Slice(got, func(i, j int) bool { return got[i].Name < got[j].Name })
					return slices.Equal(expectedNames(got), expectedNames(want)), nil
				})
				for i := range want {
					if !apiequality.Semantic.DeepEqual(got[i], want[i]) {
						t.Errorf("ApplicationSet %s generated\n%s\nwant\n%s", appSet.Name, asYAML(t, got[i]), asYAML(t, want[i]))
					}
				}
			}
		})
	}
}

// exampleAppSets reads the ApplicationSets of a file, or of the YAML files
// of a directory, converting argoproj.io manifests as `kubectl capstan
// convert` does.
func exampleAppSets(t *testing.T, path string) []*v1alpha1.ApplicationSet {
	t.Helper()
	files := []string{path}
	if entries, err := os.ReadDir(path); err == nil {
		// A directory is read as `kubectl apply -f DIR` reads it: its
		// YAML files, not its subdirectories.
		files = nil
		for _, entry := range entries {
			if !entry.IsDir() && (strings.HasSuffix(entry.Name(), ".yaml") || strings.HasSuffix(entry.Name(), ".yml")) {
				files = append(files, filepath.Join(path, entry.Name()))
			}
		}
	}
	var appSets []*v1alpha1.ApplicationSet
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var converted bytes.Buffer
		if _, err := convert.Convert(bytes.NewReader(data), &converted, file); err != nil {
			t.Fatalf("convert %s: %v", file, err)
		}
		decoder := utilyaml.NewYAMLOrJSONDecoder(&converted, 4096)
		for {
			var object unstructured.Unstructured
			if err := decoder.Decode(&object.Object); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("read %s: %v", file, err)
			}
			if object.GetKind() != "ApplicationSet" {
				continue
			}
			if object.GetAPIVersion() != v1alpha1.SchemeGroupVersion.String() {
				t.Fatalf("%s: ApplicationSet %s has apiVersion %s after conversion", file, object.GetName(), object.GetAPIVersion())
			}
			document, err := yaml.Marshal(object.Object)
			if err != nil {
				t.Fatal(err)
			}
			appSets = append(appSets, appSetFromManifest(t, object.GetNamespace(), string(document)))
		}
	}
	return appSets
}

// exampleClusterSecrets are the exampleClusters as Argo CD cluster Secrets
// of argocd, read by the cluster source the server uses.
func exampleClusterSecrets(t *testing.T) generators.SecretClusters {
	t.Helper()
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, cluster := range exampleClusters {
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "cluster-" + cluster.name, Namespace: "argocd", Labels: map[string]string{
				"argocd.argoproj.io/secret-type": "cluster", "environment": cluster.environment,
			}},
			Data: map[string][]byte{"name": []byte(cluster.name), "server": []byte(cluster.server), "config": []byte(`{"bearerToken":"unused"}`)},
		}
		if err := indexer.Add(secret); err != nil {
			t.Fatal(err)
		}
	}
	return generators.SecretClusters{Secrets: corev1listers.NewSecretLister(indexer).Secrets("argocd")}
}

// withRepoURL is appSet with every occurrence of the repository from
// replaced by to.
func withRepoURL(t *testing.T, appSet *v1alpha1.ApplicationSet, from, to string) *v1alpha1.ApplicationSet {
	t.Helper()
	data, err := yaml.Marshal(appSet)
	if err != nil {
		t.Fatal(err)
	}
	return appSetFromManifest(t, appSet.Namespace, strings.ReplaceAll(string(data), from, to))
}

// generatedApplication is the part of app the examples are checked on, with
// the loopback repository served named as the example names it.
func generatedApplication(app *v1alpha1.Application, served, named string) expectedApplication {
	got := expectedApplication{
		Name: app.Name, Namespace: app.Namespace, Project: app.Spec.Project, Finalizers: app.Finalizers,
		Destination: app.Spec.Destination, SyncPolicy: app.Spec.SyncPolicy,
	}
	if app.Spec.Source != nil {
		got.Source = *app.Spec.Source
	}
	if got.Source.RepoURL == served {
		got.Source.RepoURL = named
	}
	return got
}

func expectedNames(apps []expectedApplication) []string {
	names := make([]string, len(apps))
	for i, app := range apps {
		names[i] = app.Name
	}
	return names
}

func asYAML(t *testing.T, value any) string {
	t.Helper()
	data, err := yaml.Marshal(value)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
