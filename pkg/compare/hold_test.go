package compare

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/provenance"
	"helm.sh/helm/v3/pkg/repo"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/render"
	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
	"capstan.dev/capstan/pkg/source/helmrepo"
	"capstan.dev/capstan/pkg/target"
)

type noCredentials struct{}

func (noCredentials) Lookup(string, credentials.LookupOptions) (credentials.Credentials, error) {
	return credentials.Credentials{}, nil
}

func newTargetSource(t *testing.T) *target.Source {
	t.Helper()
	gitCache, err := git.NewCache(t.TempDir(), git.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gitCache.Close() })
	charts, err := helmrepo.NewClient(t.TempDir(), helmrepo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return target.New(gitCache, charts, render.Options{}, noCredentials{})
}

func configMap(name, value string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  value: %q\n", name, value)
}

// refreshed returns app as a controller stores it after a comparison that
// resolved desired: status.sync.revision(s) and comparedTo.
func refreshed(app *v1alpha1.Application, desired *target.Target) *v1alpha1.Application {
	app = app.DeepCopy()
	app.Status.Sync.Revision, app.Status.Sync.Revisions = desired.Revision, desired.Revisions
	if app.Spec.Source != nil {
		app.Status.Sync.ComparedTo.Source = *app.Spec.Source
	}
	app.Status.Sync.ComparedTo.Sources = app.Spec.Sources
	return app
}

func objectNames(desired *target.Target) string {
	var names []string
	for _, obj := range desired.Objects {
		names = append(names, obj.GetName())
	}
	return strings.Join(names, ",")
}

// holdOrFail renders app with hard=true (the ref listing and index are read
// again), which fails with the server down, then holds.
func holdOrFail(t *testing.T, c *Comparer, app *v1alpha1.Application, now time.Time) (*target.Target, *Hold, error) {
	t.Helper()
	_, err := c.Targets.Target(context.Background(), app, target.Options{Hard: true})
	if err == nil {
		t.Fatal("the render succeeded with the server down")
	}
	desired, held := c.hold(context.Background(), app, target.Options{Hard: true}, err, now)
	return desired, held, err
}

func TestAGitOutageHoldsTheLastResolvedCommit(t *testing.T) {
	server := gittest.NewServer(t, gittest.ServerOptions{})
	repository := server.NewRepo(t, "app")
	first := repository.CommitOn("main", gittest.Files{"app/a.yaml": gittest.File(configMap("a", "1")), "app/b.yaml": gittest.File(configMap("b", "1"))})
	c := &Comparer{Targets: newTargetSource(t)}
	app := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{
		Source:      &v1alpha1.ApplicationSource{RepoURL: server.RepoURL("app"), Path: "app", TargetRevision: "main"},
		Destination: v1alpha1.ApplicationDestination{Namespace: "default"},
	}}
	desired, err := c.Targets.Target(context.Background(), app, target.Options{})
	if err != nil {
		t.Fatal(err)
	}
	app = refreshed(app, desired)

	server.Close()
	// A commit made during the outage (b removed) is never seen.
	repository.CommitOn("main", gittest.Files{"app/a.yaml": gittest.File(configMap("a", "2"))})
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	heldTarget, held, err := holdOrFail(t, c, app, now)
	if !source.IsOutage(err) {
		t.Fatalf("the failure is no outage: %v", err)
	}
	if held == nil {
		t.Fatalf("nothing held after: %v", err)
	}
	if heldTarget.Revision != first.String() || held.Revision != first.String() {
		t.Errorf("held revision %q (%q), want %s", heldTarget.Revision, held.Revision, first)
	}
	if got := objectNames(heldTarget); got != "a,b" {
		t.Errorf("held objects %s, want a,b (the held commit's)", got)
	}
	message := held.Message()
	for _, want := range []string{"Source unreachable since 2026-12-06T04:00:00Z", server.RepoURL("app"), first.String(), "unreachable"} {
		if !strings.Contains(message, want) {
			t.Errorf("the condition does not say %q: %s", want, message)
		}
	}

	// Later refreshes keep the time the outage was first seen, so the
	// condition's message (and lastTransitionTime) do not change.
	app.Status.Conditions = []v1alpha1.ApplicationCondition{held.Condition()}
	_, later, _ := holdOrFail(t, c, app, now.Add(10*time.Minute))
	if later == nil || later.Message() != message {
		t.Errorf("a later refresh rewrites the condition:\n  %s\n  %v", message, later)
	}
}

func TestNothingIsHeldWithoutAResolvedRevisionOrForOtherSources(t *testing.T) {
	server := gittest.NewServer(t, gittest.ServerOptions{})
	repository := server.NewRepo(t, "app")
	repository.CommitOn("main", gittest.Files{"app/a.yaml": gittest.File(configMap("a", "1"))})
	c := &Comparer{Targets: newTargetSource(t)}
	app := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{
		Source:      &v1alpha1.ApplicationSource{RepoURL: server.RepoURL("app"), Path: "app", TargetRevision: "main"},
		Destination: v1alpha1.ApplicationDestination{Namespace: "default"},
	}}
	desired, err := c.Targets.Target(context.Background(), app, target.Options{})
	if err != nil {
		t.Fatal(err)
	}
	resolved := refreshed(app, desired)
	server.Close()

	neverResolved := app.DeepCopy()
	otherRevision := resolved.DeepCopy()
	otherRevision.Spec.Source.TargetRevision = "release"
	for name, app := range map[string]*v1alpha1.Application{"never resolved": neverResolved, "targetRevision changed": otherRevision} {
		if _, held, err := holdOrFail(t, c, app, time.Now()); held != nil {
			t.Errorf("%s: held %v after %v", name, held.Revision, err)
		}
	}
	// An answer is no outage: nothing is held when the repository says no.
	if _, held := c.hold(context.Background(), resolved, target.Options{}, source.NewError("list refs", server.RepoURL("app"), "main", source.ErrAuthentication, errors.New("401"), nil), time.Now()); held != nil {
		t.Errorf("held on an authentication failure")
	}
}

// chartServer serves an HTTP chart repository (index.yaml and archives) of
// chart web until closed.
func chartServer(t *testing.T, versions ...string) *httptest.Server {
	t.Helper()
	dir := t.TempDir()
	index := repo.NewIndexFile()
	for _, version := range versions {
		ch := &chart.Chart{
			Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "web", Version: version},
			Templates: []*chart.File{{Name: "templates/configmap.yaml",
				Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-" + strings.ReplaceAll(version, ".", "-") + "\n")}},
		}
		path, err := chartutil.Save(ch, dir)
		if err != nil {
			t.Fatal(err)
		}
		digest, err := provenance.DigestFile(path)
		if err != nil {
			t.Fatal(err)
		}
		index.MustAdd(ch.Metadata, filepath.Base(path), "", digest)
	}
	index.SortEntries()
	if err := index.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(server.Close)
	return server
}

func TestAHelmRepositoryOutageHoldsTheLastResolvedChartVersion(t *testing.T) {
	server := chartServer(t, "1.0.0", "1.1.0")
	c := &Comparer{Targets: newTargetSource(t)}
	app := &v1alpha1.Application{ObjectMeta: metaName("web"), Spec: v1alpha1.ApplicationSpec{
		Source:      &v1alpha1.ApplicationSource{RepoURL: server.URL, Chart: "web", TargetRevision: "^1.0.0"},
		Destination: v1alpha1.ApplicationDestination{Namespace: "default"},
	}}
	desired, err := c.Targets.Target(context.Background(), app, target.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if desired.Revision != "1.1.0" {
		t.Fatalf("resolved %q, want 1.1.0", desired.Revision)
	}
	app = refreshed(app, desired)

	server.Close()
	heldTarget, held, err := holdOrFail(t, c, app, time.Now())
	if held == nil {
		t.Fatalf("nothing held after: %v", err)
	}
	if heldTarget.Revision != "1.1.0" || objectNames(heldTarget) != "web-1-1-0" {
		t.Errorf("held %q with objects %s, want 1.1.0 with web-1-1-0", heldTarget.Revision, objectNames(heldTarget))
	}
	if !strings.Contains(held.Message(), server.URL) || !strings.Contains(held.Message(), "1.1.0") {
		t.Errorf("the condition names neither the repository nor the held version: %s", held.Message())
	}
}

func TestAMultiSourceOutageHoldsEveryResolvedRevision(t *testing.T) {
	gitServer := gittest.NewServer(t, gittest.ServerOptions{})
	repository := gitServer.NewRepo(t, "app")
	commit := repository.CommitOn("main", gittest.Files{"app/a.yaml": gittest.File(configMap("a", "1"))})
	charts := chartServer(t, "1.0.0")
	c := &Comparer{Targets: newTargetSource(t)}
	app := &v1alpha1.Application{ObjectMeta: metaName("multi"), Spec: v1alpha1.ApplicationSpec{
		Sources: v1alpha1.ApplicationSources{
			{RepoURL: gitServer.RepoURL("app"), Path: "app", TargetRevision: "main"},
			{RepoURL: charts.URL, Chart: "web", TargetRevision: "1.x"},
		},
		Destination: v1alpha1.ApplicationDestination{Namespace: "default"},
	}}
	desired, err := c.Targets.Target(context.Background(), app, target.Options{})
	if err != nil {
		t.Fatal(err)
	}
	app = refreshed(app, desired)
	gitServer.Close()
	charts.Close()
	heldTarget, held, err := holdOrFail(t, c, app, time.Now())
	if held == nil {
		t.Fatalf("nothing held after: %v", err)
	}
	if want := []string{commit.String(), "1.0.0"}; strings.Join(heldTarget.Revisions, ",") != strings.Join(want, ",") {
		t.Errorf("held revisions %v, want %v", heldTarget.Revisions, want)
	}
	if got := objectNames(heldTarget); got != "a,web-1-0-0" {
		t.Errorf("held objects %s, want a,web-1-0-0", got)
	}
}

func metaName(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "argocd"}
}
