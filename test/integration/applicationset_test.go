package integration

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/generators"
	"capstan.dev/capstan/pkg/controller/applicationset"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
	"capstan.dev/capstan/pkg/project"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

// appSetHarness runs the ApplicationSet controller against an in-process
// capstan-apiserver and counts the writes it sends to Applications.
type appSetHarness struct {
	client   clientset.Interface
	writes   *atomic.Int64
	recorder *record.FakeRecorder
}

// countingTransport counts the requests that write Applications.
type countingTransport struct {
	next   http.RoundTripper
	writes *atomic.Int64
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet && slices.Contains(strings.Split(r.URL.Path, "/"), "applications") {
		t.writes.Add(1)
	}
	return t.next.RoundTrip(r)
}

func startAppSetController(t testing.TB, s *testServer, options applicationset.Options, sources generators.Sources) *appSetHarness {
	t.Helper()
	writes := &atomic.Int64{}
	config := rest.CopyConfig(s.config)
	config.WrapTransport = func(next http.RoundTripper) http.RoundTripper { return countingTransport{next: next, writes: writes} }
	client, err := clientset.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	recorder := record.NewFakeRecorder(1000)
	options.Recorder = recorder
	if options.Policy.ControlNamespaces == nil {
		options.Policy.ControlNamespaces = project.DefaultControlNamespaces
	}
	options.Generators = generators.New(sources)
	options.Clusters = sources.Clusters
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := applicationset.New(client, factory, options)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	factory.Start(ctx.Done())
	go func() {
		defer close(done)
		_ = c.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		factory.Shutdown()
	})
	return &appSetHarness{client: s.client, writes: writes, recorder: recorder}
}

// staticClusters is a fixed cluster list.
type staticClusters []generators.Cluster

func (c staticClusters) Clusters(context.Context) ([]generators.Cluster, error) { return c, nil }

// gitCacheSource reads repositories through a real Git object store.
type gitCacheSource struct{ cache *git.Cache }

func (s gitCacheSource) GitFiles(ctx context.Context, repoURL, revision, _ string, hard bool) (string, fs.FS, error) {
	if hard {
		s.cache.Invalidate(repoURL)
	}
	resolved, tree, err := s.cache.Open(ctx, repoURL, revision, credentials.Credentials{})
	return resolved.Commit, tree, err
}

// appSetFromManifest reads an ApplicationSet written as YAML into namespace.
func appSetFromManifest(t testing.TB, namespace, manifest string) *v1alpha1.ApplicationSet {
	t.Helper()
	appSet := &v1alpha1.ApplicationSet{}
	if err := yaml.UnmarshalStrict([]byte(manifest), appSet); err != nil {
		t.Fatal(err)
	}
	appSet.Namespace = namespace
	return appSet
}

func createAppSet(t testing.TB, client clientset.Interface, namespace, manifest string) *v1alpha1.ApplicationSet {
	t.Helper()
	appSet := appSetFromManifest(t, namespace, manifest)
	created, err := client.CapstanV1alpha1().ApplicationSets(namespace).Create(context.Background(), appSet, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// waitFor polls until check holds.
func waitFor(t testing.TB, what string, check func(ctx context.Context) (bool, error)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, check)
	if err != nil {
		t.Fatalf("waiting until %s: %v", what, err)
	}
}

// applicationNames lists the names of the Applications of a namespace.
func applicationNames(ctx context.Context, client clientset.Interface, namespace string) ([]string, error) {
	list, err := client.CapstanV1alpha1().Applications(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, app := range list.Items {
		names = append(names, app.Name)
	}
	sort.Strings(names)
	return names, nil
}

func waitForApplications(t testing.TB, client clientset.Interface, namespace string, want ...string) {
	t.Helper()
	var got []string
	waitFor(t, fmt.Sprintf("the Applications are %v", want), func(ctx context.Context) (bool, error) {
		var err error
		got, err = applicationNames(ctx, client, namespace)
		return slices.Equal(got, want), err
	})
}

// condition returns a condition of an ApplicationSet.
func condition(ctx context.Context, client clientset.Interface, namespace, name string, conditionType v1alpha1.ApplicationSetConditionType) (v1alpha1.ApplicationSetCondition, error) {
	appSet, err := client.CapstanV1alpha1().ApplicationSets(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return v1alpha1.ApplicationSetCondition{}, err
	}
	for _, c := range appSet.Status.Conditions {
		if c.Type == conditionType {
			return c, nil
		}
	}
	return v1alpha1.ApplicationSetCondition{}, nil
}

func waitForCondition(t testing.TB, client clientset.Interface, namespace, name string, conditionType v1alpha1.ApplicationSetConditionType, status v1alpha1.ApplicationSetConditionStatus, message string) {
	t.Helper()
	var got v1alpha1.ApplicationSetCondition
	waitFor(t, fmt.Sprintf("%s is %s with %q", conditionType, status, message), func(ctx context.Context) (bool, error) {
		var err error
		got, err = condition(ctx, client, namespace, name, conditionType)
		return got.Status == status && strings.Contains(got.Message, message), err
	})
}

const listAppSet = `
metadata: {name: guestbooks}
spec:
  goTemplate: true
  generators:
  - list:
      elements:
      - {env: dev}
      - {env: prod}
  template:
    metadata:
      name: 'guestbook-{{.env}}'
      labels: {env: '{{.env}}'}
    spec:
      project: default
      source: {repoURL: 'https://git.example.com/apps.git', path: 'guestbook/{{.env}}'}
      destination: {server: 'https://kubernetes.default.svc', namespace: 'guestbook-{{.env}}'}
`

func TestApplicationSetListGeneratorCreatesKeepsAndDeletesApplications(t *testing.T) {
	s := startServer(t)
	h := startAppSetController(t, s, applicationset.Options{}, generators.Sources{})
	ctx := context.Background()
	appSet := createAppSet(t, s.client, "argocd", listAppSet)
	waitForApplications(t, s.client, "argocd", "guestbook-dev", "guestbook-prod")

	app, err := s.client.CapstanV1alpha1().Applications("argocd").Get(ctx, "guestbook-dev", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if owner := metav1.GetControllerOf(app); owner == nil || owner.UID != appSet.UID || owner.Kind != "ApplicationSet" {
		t.Errorf("owner = %+v, want the ApplicationSet", owner)
	}
	if !slices.Equal(app.Finalizers, []string{v1alpha1.ResourcesFinalizerName}) || app.Labels["env"] != "dev" || app.Spec.Source.Path != "guestbook/dev" {
		t.Errorf("Application = %+v %+v", app.ObjectMeta, app.Spec)
	}
	if len(app.ManagedFields) == 0 || app.ManagedFields[0].Manager != applicationset.FieldManager || app.ManagedFields[0].Operation != metav1.ManagedFieldsOperationApply {
		t.Errorf("managed fields = %+v, want an apply by %s", app.ManagedFields, applicationset.FieldManager)
	}
	waitForCondition(t, s.client, "argocd", "guestbooks", v1alpha1.ApplicationSetConditionResourcesUpToDate, "True", "All applications have been generated successfully")

	t.Run("a regeneration with nothing changed sends no write", func(t *testing.T) {
		before := h.writes.Load()
		annotate(t, s.client, "argocd", "guestbooks", applicationset.RefreshAnnotation, "true")
		waitFor(t, "the refresh annotation is removed", func(ctx context.Context) (bool, error) {
			got, err := s.client.CapstanV1alpha1().ApplicationSets("argocd").Get(ctx, "guestbooks", metav1.GetOptions{})
			return err == nil && got.Annotations[applicationset.RefreshAnnotation] == "", err
		})
		if writes := h.writes.Load() - before; writes != 0 {
			t.Errorf("%d writes to Applications, want none", writes)
		}
	})

	t.Run("manual edits are reverted and stray labels removed", func(t *testing.T) {
		patch := `{"metadata":{"labels":{"stray":"x"}},"spec":{"source":{"path":"edited"}}}`
		if _, err := s.client.CapstanV1alpha1().Applications("argocd").Patch(ctx, "guestbook-dev", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the edit is reverted", func(ctx context.Context) (bool, error) {
			got, err := s.client.CapstanV1alpha1().Applications("argocd").Get(ctx, "guestbook-dev", metav1.GetOptions{})
			return err == nil && got.Spec.Source.Path == "guestbook/dev" && got.Labels["stray"] == "", err
		})
	})

	t.Run("an element removed from the list deletes its Application", func(t *testing.T) {
		patch := `{"spec":{"generators":[{"list":{"elements":[{"env":"dev"}]}}]}}`
		if _, err := s.client.CapstanV1alpha1().ApplicationSets("argocd").Patch(ctx, "guestbooks", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		// Without an Application controller, the resources finalizer keeps it.
		waitFor(t, "guestbook-prod is being deleted", func(ctx context.Context) (bool, error) {
			got, err := s.client.CapstanV1alpha1().Applications("argocd").Get(ctx, "guestbook-prod", metav1.GetOptions{})
			return apierrors.IsNotFound(err) || err == nil && got.DeletionTimestamp != nil, nil
		})
		removeFinalizers(t, s.client, "argocd", "guestbook-prod")
		waitForApplications(t, s.client, "argocd", "guestbook-dev")
		waitFor(t, "status lists one resource", func(ctx context.Context) (bool, error) {
			got, err := s.client.CapstanV1alpha1().ApplicationSets("argocd").Get(ctx, "guestbooks", metav1.GetOptions{})
			return err == nil && got.Status.ResourcesCount == 1 && len(got.Status.Resources) == 1 &&
				got.Status.Resources[0].Name == "guestbook-dev" && got.Status.Resources[0].Kind == "Application", err
		})
	})
}

// removeFinalizers does what the Application controller would do for a
// deleted Application.
func removeFinalizers(t *testing.T, client clientset.Interface, namespace, name string) {
	t.Helper()
	patch := `{"metadata":{"finalizers":null}}`
	if _, err := client.CapstanV1alpha1().Applications(namespace).Patch(context.Background(), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func annotate(t testing.TB, client clientset.Interface, namespace, name, key, value string) {
	t.Helper()
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, key, value)
	if _, err := client.CapstanV1alpha1().ApplicationSets(namespace).Patch(context.Background(), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestApplicationSetCreateOnlyPolicyNeitherUpdatesNorDeletes(t *testing.T) {
	s := startServer(t)
	startAppSetController(t, s, applicationset.Options{}, generators.Sources{})
	ctx := context.Background()
	createAppSet(t, s.client, "argocd", strings.Replace(listAppSet, "  goTemplate: true", "  goTemplate: true\n  syncPolicy: {applicationsSync: create-only}", 1))
	waitForApplications(t, s.client, "argocd", "guestbook-dev", "guestbook-prod")

	patch := `{"spec":{"generators":[{"list":{"elements":[{"env":"dev"},{"env":"qa"}]}}],"template":{"spec":{"source":{"path":"changed/{{.env}}"}}}}}`
	if _, err := s.client.CapstanV1alpha1().ApplicationSets("argocd").Patch(ctx, "guestbooks", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForApplications(t, s.client, "argocd", "guestbook-dev", "guestbook-prod", "guestbook-qa")
	dev, err := s.client.CapstanV1alpha1().Applications("argocd").Get(ctx, "guestbook-dev", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dev.Spec.Source.Path != "guestbook/dev" {
		t.Errorf("create-only updated an existing Application: path %q", dev.Spec.Source.Path)
	}
}

func TestApplicationSetGeneratorErrorLeavesEveryApplication(t *testing.T) {
	s := startServer(t)
	gitServer := gittest.NewServer(t, gittest.ServerOptions{})
	repo := gitServer.NewRepo(t, "apps")
	repo.CommitOn("main", gittest.Files{"apps/a/kustomization.yaml": gittest.File("resources: []"), "apps/b/kustomization.yaml": gittest.File("resources: []")})
	h := startAppSetController(t, s, applicationset.Options{}, generators.Sources{Git: newGitCacheSource(t)})
	ctx := context.Background()
	createAppSet(t, s.client, "argocd", `
metadata: {name: apps}
spec:
  goTemplate: true
  generators:
  - git: {repoURL: '`+gitServer.RepoURL("apps")+`', revision: main, directories: [{path: 'apps/*'}]}
  template:
    metadata: {name: '{{.path.basename}}'}
    spec:
      project: default
      source: {repoURL: '`+gitServer.RepoURL("apps")+`', path: '{{.path.path}}'}
      destination: {server: 'https://kubernetes.default.svc', namespace: '{{.path.basename}}'}
`)
	waitForApplications(t, s.client, "argocd", "a", "b")

	// The repository goes away; the generator fails on the next run.
	repoURL := gitServer.RepoURL("apps")
	patch := fmt.Sprintf(`{"spec":{"generators":[{"git":{"repoURL":%q,"revision":"main","directories":[{"path":"apps/*"}]}}]}}`, strings.Replace(repoURL, "/apps.git", "/gone.git", 1))
	before := h.writes.Load()
	if _, err := s.client.CapstanV1alpha1().ApplicationSets("argocd").Patch(ctx, "apps", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForCondition(t, s.client, "argocd", "apps", v1alpha1.ApplicationSetConditionErrorOccurred, "True", "generators[0] (git)")
	got, err := condition(ctx, s.client, "argocd", "apps", v1alpha1.ApplicationSetConditionParametersGenerated)
	if err != nil || got.Status != "False" {
		t.Errorf("ParametersGenerated = %+v (%v), want False", got, err)
	}
	names, err := applicationNames(ctx, s.client, "argocd")
	if err != nil || !slices.Equal(names, []string{"a", "b"}) {
		t.Errorf("Applications after the error = %v (%v), want both kept", names, err)
	}
	if writes := h.writes.Load() - before; writes != 0 {
		t.Errorf("%d writes to Applications after the error, want none", writes)
	}
	waitForEvent(t, h.recorder, "Warning ApplicationGenerationFromParamsError")
}

func TestApplicationSetWritesOnlyWhatTheProjectAccepts(t *testing.T) {
	s := startServer(t)
	h := startAppSetController(t, s, applicationset.Options{Policy: project.Policy{ControlNamespaces: []string{"argocd"}}}, generators.Sources{})
	ctx := context.Background()
	team := &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "team"}, Spec: v1alpha1.AppProjectSpec{
		SourceNamespaces: []string{"team"},
		SourceRepos:      []string{"https://git.example.com/*"},
		Destinations:     []v1alpha1.ApplicationDestination{{Server: "https://kubernetes.default.svc", Namespace: "team-*"}},
	}}
	if _, err := s.client.CapstanV1alpha1().AppProjects().Create(ctx, team, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createAppSet(t, s.client, "team", `
metadata: {name: mixed}
spec:
  goTemplate: true
  generators:
  - list: {elements: [{name: ok, ns: team-ok}, {name: outside, ns: kube-system}]}
  template:
    metadata: {name: '{{.name}}'}
    spec:
      project: team
      source: {repoURL: 'https://git.example.com/apps.git', path: '{{.name}}'}
      destination: {server: 'https://kubernetes.default.svc', namespace: '{{.ns}}'}
`)
	waitForApplications(t, s.client, "team", "ok")
	waitForCondition(t, s.client, "team", "mixed", v1alpha1.ApplicationSetConditionErrorOccurred, "True", "application outside is refused by AppProject team (destinations)")
	waitForEvent(t, h.recorder, "application outside is refused")

	t.Run("a project that stops accepting the namespace stops every write", func(t *testing.T) {
		patch := `{"spec":{"sourceNamespaces":["elsewhere"]}}`
		if _, err := s.client.CapstanV1alpha1().AppProjects().Patch(ctx, "team", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		waitForCondition(t, s.client, "team", "mixed", v1alpha1.ApplicationSetConditionErrorOccurred, "True", "sourceNamespaces")
		if names, err := applicationNames(ctx, s.client, "team"); err != nil || !slices.Equal(names, []string{"ok"}) {
			t.Errorf("Applications = %v (%v), want the existing one kept", names, err)
		}
	})
}

func waitForEvent(t *testing.T, recorder *record.FakeRecorder, want string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	var seen []string
	for {
		select {
		case event := <-recorder.Events:
			if strings.Contains(event, want) {
				return
			}
			seen = append(seen, event)
		case <-deadline:
			t.Fatalf("no Event containing %q; saw %v", want, seen)
		}
	}
}

func TestApplicationSetDeletionWithANonDeletingPolicyReleasesItsApplications(t *testing.T) {
	s := startServer(t)
	startAppSetController(t, s, applicationset.Options{}, generators.Sources{})
	ctx := context.Background()
	manifest := strings.Replace(listAppSet, "metadata: {name: guestbooks}", "metadata: {name: guestbooks, finalizers: [resources-finalizer.argocd.argoproj.io]}", 1)
	manifest = strings.Replace(manifest, "  goTemplate: true", "  goTemplate: true\n  syncPolicy: {applicationsSync: create-update}", 1)
	createAppSet(t, s.client, "argocd", manifest)
	waitForApplications(t, s.client, "argocd", "guestbook-dev", "guestbook-prod")
	if err := s.client.CapstanV1alpha1().ApplicationSets("argocd").Delete(ctx, "guestbooks", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the ApplicationSet is gone", func(ctx context.Context) (bool, error) {
		_, err := s.client.CapstanV1alpha1().ApplicationSets("argocd").Get(ctx, "guestbooks", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	app, err := s.client.CapstanV1alpha1().Applications("argocd").Get(ctx, "guestbook-dev", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(app.OwnerReferences) != 0 {
		t.Errorf("owner references = %+v, want none: garbage collection would delete the Application", app.OwnerReferences)
	}
}
