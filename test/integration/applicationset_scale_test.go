package integration

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/generators"
	"capstan.dev/capstan/pkg/appset/plan"
	"capstan.dev/capstan/pkg/controller/applicationset"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

// appSetBenchDirectories is the number of directories, hence Applications,
// of BenchmarkApplicationSetGitDirectories. The figure is 1000:
//
//	go test -run '^$' -bench ApplicationSetGitDirectories ./test/integration/ -args -appset-directories=1000
//
// or CAPSTAN_BENCH_APPSET_DIRECTORIES=1000 in the environment.
var appSetBenchDirectories = flag.Int("appset-directories", defaultBenchDirectories(),
	"directories of the Git repository of BenchmarkApplicationSetGitDirectories (default $CAPSTAN_BENCH_APPSET_DIRECTORIES or 200)")

func defaultBenchDirectories() int {
	if n, err := strconv.Atoi(os.Getenv("CAPSTAN_BENCH_APPSET_DIRECTORIES")); err == nil && n > 0 {
		return n
	}
	return 200
}

// benchDeadline bounds each timed phase of the benchmark: a phase that does
// not finish is a failure, not a measurement.
const benchDeadline = 10 * time.Minute

// BenchmarkApplicationSetGitDirectories measures how long one ApplicationSet
// with a Git directory generator over a loopback repository of N
// directories takes until its N Applications exist, against creating the
// same N Applications one after the other with a plain client in the same
// run. It reports both durations, their ratio (ratio: ApplicationSet over
// plain, lower is better) and the controller's writes to Applications per
// Application created (writes-ratio: the plain client sends one); it
// asserts no timing.
func BenchmarkApplicationSetGitDirectories(b *testing.B) {
	n := *appSetBenchDirectories
	s := startServer(b)
	gitServer := gittest.NewServer(b, gittest.ServerOptions{})
	directoriesRepo(b, gitServer, n)
	repoURL := gitServer.RepoURL("apps")
	h := startAppSetController(b, s, applicationset.Options{}, generators.Sources{Git: newGitCacheSource(b)})
	// Each run writes into empty namespaces, which are not control
	// namespaces: the project "bench" accepts them.
	proj := &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "bench"}, Spec: v1alpha1.AppProjectSpec{
		SourceNamespaces: []string{"bench-*"},
		SourceRepos:      []string{"*"},
		Destinations:     []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}},
	}}
	if _, err := s.client.CapstanV1alpha1().AppProjects().Create(context.Background(), proj, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	// The plain client creates exactly what the generator produces, read
	// through a Git store of its own so that the controller's starts cold.
	plainApps := desiredApplications(b, generators.Sources{Git: newGitCacheSource(b)}, directoriesAppSet(repoURL, "bench"))
	if len(plainApps) != n {
		b.Fatalf("the generator produced %d Applications, want %d", len(plainApps), n)
	}

	var generated, plain time.Duration
	var writes int64
	runs := 0
	for b.Loop() {
		setNamespace, plainNamespace := fmt.Sprintf("bench-set-%d", runs), fmt.Sprintf("bench-plain-%d", runs)
		before := h.writes.Load()
		generated += timeUntilAdded(b, s.client, setNamespace, n, func() {
			createAppSet(b, s.client, setNamespace, directoriesAppSet(repoURL, "bench"))
		})
		writes += h.writes.Load() - before
		plain += timeUntilAdded(b, s.client, plainNamespace, n, func() {
			for _, app := range plainApps {
				app = app.DeepCopy()
				app.Namespace, app.OwnerReferences = plainNamespace, nil
				if _, err := s.client.CapstanV1alpha1().Applications(plainNamespace).Create(context.Background(), app, metav1.CreateOptions{}); err != nil {
					b.Fatalf("create Application %s: %v", app.Name, err)
				}
			}
		})
		runs++
	}
	b.ReportMetric(float64(n), "applications")
	b.ReportMetric(generated.Seconds()/float64(runs), "appset-s/op")
	b.ReportMetric(plain.Seconds()/float64(runs), "plain-s/op")
	b.ReportMetric(generated.Seconds()/plain.Seconds(), "ratio")
	// The plain client writes each Application once.
	b.ReportMetric(float64(writes)/float64(n*runs), "writes-ratio")
}

// timeUntilAdded measures from start until n Applications have been added
// to namespace, as a watch sees them.
func timeUntilAdded(tb testing.TB, client clientset.Interface, namespace string, n int, start func()) time.Duration {
	tb.Helper()
	added := addedApplications(tb, client, namespace, n)
	begin := time.Now()
	start()
	select {
	case <-added:
		return time.Since(begin)
	case <-time.After(benchDeadline):
		tb.Fatalf("%d Applications were not added to namespace %s within %s", n, namespace, benchDeadline)
		return 0
	}
}

// addedApplications watches the Applications of namespace from now on and
// returns a channel closed once n have been added.
func addedApplications(tb testing.TB, client clientset.Interface, namespace string, n int) <-chan struct{} {
	tb.Helper()
	watcher, err := client.CapstanV1alpha1().Applications(namespace).Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(watcher.Stop)
	done := make(chan struct{})
	go func() {
		defer watcher.Stop()
		seen := 0
		for event := range watcher.ResultChan() {
			if event.Type != watch.Added {
				continue
			}
			if seen++; seen == n {
				close(done)
				return
			}
		}
	}()
	return done
}

// desiredApplications are the Applications appSet generates from sources,
// in the order of its generator.
func desiredApplications(tb testing.TB, sources generators.Sources, manifest string) []*v1alpha1.Application {
	tb.Helper()
	appSet := appSetFromManifest(tb, "argocd", manifest)
	results, err := generators.New(sources).Generate(context.Background(), appSet, generators.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	apps, err := plan.Desired(appSet, results)
	if err != nil {
		tb.Fatal(err)
	}
	return apps
}

// directoriesRepo creates the repository "apps" on gitServer with n
// directories apps/app-0000 … holding a kustomization.yaml each, and returns
// their names in order and the commit of main.
func directoriesRepo(tb testing.TB, gitServer *gittest.Server, n int) (*gittest.Repo, []string, string) {
	tb.Helper()
	repo := gitServer.NewRepo(tb, "apps")
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("app-%04d", i)
	}
	commit := repo.CommitOn("main", directoriesFiles(names, nil))
	return repo, names, commit.String()
}

// directoriesFiles is a tree with the directories apps/<name> holding a
// kustomization.yaml each, plus extra.
func directoriesFiles(names []string, extra gittest.Files) gittest.Files {
	files := gittest.Files{}
	for _, name := range names {
		files["apps/"+name+"/kustomization.yaml"] = gittest.File("resources: []\n")
	}
	for path, entry := range extra {
		files[path] = entry
	}
	return files
}

// directoriesAppSet is an ApplicationSet with one Application per directory
// under apps/ of repoURL, in project.
func directoriesAppSet(repoURL, project string) string {
	return fmt.Sprintf(`
metadata: {name: apps}
spec:
  goTemplate: true
  generators:
  - git: {repoURL: '%[1]s', revision: main, directories: [{path: 'apps/*'}]}
  template:
    metadata: {name: '{{.path.basename}}'}
    spec:
      project: %[2]s
      source: {repoURL: '%[1]s', path: '{{.path.path}}'}
      destination: {server: 'https://kubernetes.default.svc', namespace: '{{.path.basename}}'}
`, repoURL, project)
}

// newGitCacheSource is a GitSource over a real Git object store of its own.
func newGitCacheSource(tb testing.TB) gitCacheSource {
	tb.Helper()
	cache, err := git.NewCache(tb.TempDir(), git.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cache.Close() })
	return gitCacheSource{cache}
}

// observedGit is a GitSource that remembers its hard reads (those of a
// refresh) and the commit each resolved.
type observedGit struct {
	next generators.GitSource

	mu         sync.Mutex
	hardReads  int
	hardCommit string
}

func (g *observedGit) GitFiles(ctx context.Context, repoURL, revision, project string, hard bool) (string, fs.FS, error) {
	commit, files, err := g.next.GitFiles(ctx, repoURL, revision, project, hard)
	if hard {
		g.mu.Lock()
		g.hardReads++
		g.hardCommit = commit
		g.mu.Unlock()
	}
	return commit, files, err
}

// hard returns the number of hard reads and the commit of the last.
func (g *observedGit) hard() (int, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.hardReads, g.hardCommit
}

// refreshed asks the controller to regenerate argocd/name with a hard
// refresh and waits until its generator has read commit.
func (g *observedGit) refreshed(t *testing.T, client clientset.Interface, name, commit string) {
	t.Helper()
	reads, _ := g.hard()
	annotate(t, client, "argocd", name, applicationset.RefreshAnnotation, "true")
	waitFor(t, "the generator reads "+commit, func(context.Context) (bool, error) {
		got, gotCommit := g.hard()
		return got > reads && gotCommit == commit, nil
	})
}

func TestApplicationSetGitDirectoryRegenerationWithNothingChangedSendsNoWrite(t *testing.T) {
	s := startServer(t)
	gitServer := gittest.NewServer(t, gittest.ServerOptions{})
	repo, names, first := directoriesRepo(t, gitServer, 20)
	source := &observedGit{next: newGitCacheSource(t)}
	h := startAppSetController(t, s, applicationset.Options{}, generators.Sources{Git: source})
	createAppSet(t, s.client, "argocd", directoriesAppSet(gitServer.RepoURL("apps"), "default"))
	waitForApplications(t, s.client, "argocd", names...)
	waitForCondition(t, s.client, "argocd", "apps", v1alpha1.ApplicationSetConditionResourcesUpToDate, "True", "All applications have been generated successfully")

	tests := []struct {
		name string
		// commit changes the repository, or leaves it, and returns the
		// commit the regeneration reads.
		commit func() string
	}{
		{name: "a refresh of the same commit", commit: func() string { return first }},
		{name: "a new commit that adds files but no directory", commit: func() string {
			return repo.CommitOn("main", directoriesFiles(names, gittest.Files{
				"apps/app-0000/README.md": gittest.File("edited\n"),
				"apps/notes.txt":          gittest.File("a file matches apps/* but is no directory\n"),
			})).String()
		}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			before := h.writes.Load()
			source.refreshed(t, s.client, "apps", test.commit())
			// The controller never reconciles one ApplicationSet twice at
			// once: once a second refresh has reached the generator, the
			// first regeneration has sent every write it would send.
			reads, commit := source.hard()
			annotate(t, s.client, "argocd", "apps", applicationset.RefreshAnnotation, "true")
			waitFor(t, "the next regeneration reaches the generator", func(context.Context) (bool, error) {
				got, _ := source.hard()
				return got > reads, nil
			})
			if writes := h.writes.Load() - before; writes != 0 {
				t.Errorf("the regeneration of commit %s sent %d writes to Applications, want none", commit, writes)
			}
			if names, err := applicationNames(context.Background(), s.client, "argocd"); err != nil || len(names) != 20 {
				t.Errorf("Applications = %v (%v), want the 20 generated", names, err)
			}
		})
	}
}
