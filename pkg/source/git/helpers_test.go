package git_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

// fixture is a repository with branches, tags of every kind and a commit
// reachable only from a pull-request ref, served over HTTP and file://.
type fixture struct {
	server  *gittest.Server
	repo    *gittest.Repo
	httpURL string
	fileURL string
	commits map[string]plumbing.Hash
}

func newFixture(t *testing.T, opts gittest.ServerOptions) *fixture {
	t.Helper()
	server := gittest.NewServer(t, opts)
	repo := server.NewRepo(t, "app")
	commits := map[string]plumbing.Hash{}
	commits["first"] = repo.CommitOn("main", gittest.Files{
		"README.md":       gittest.File("first\n"),
		"app/deploy.yaml": gittest.File("kind: Deployment # first\n"),
	})
	commits["second"] = repo.CommitOn("main", gittest.Files{
		"README.md":       gittest.File("second\n"),
		"app/deploy.yaml": gittest.File("kind: Deployment # second\n"),
	})
	commits["feature"] = repo.Commit(gittest.Files{
		"README.md":       gittest.File("feature\n"),
		"app/deploy.yaml": gittest.File("kind: Deployment # feature\n"),
	}, commits["first"])
	repo.SetBranch("feature", commits["feature"])
	commits["pull"] = repo.Commit(gittest.Files{"README.md": gittest.File("pull\n")}, commits["second"])
	repo.SetRef("refs/pull/1/head", commits["pull"])
	repo.Tag("v1.0.0", commits["first"])
	repo.AnnotatedTag("v1.2.0", commits["second"])
	repo.Tag("v2.0.0", commits["feature"])
	repo.AnnotatedTag("v1.3.0-rc.1", commits["feature"])
	return &fixture{
		server:  server,
		repo:    repo,
		httpURL: server.RepoURL("app"),
		fileURL: repo.FileURL(),
		commits: commits,
	}
}

// clock is a settable time source for TTL tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// roundTrips counts the HTTP requests a Cache sends.
type roundTrips struct{ count atomic.Int64 }

func (r *roundTrips) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		r.count.Add(1)
		return next.RoundTrip(req)
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func newCache(t testing.TB, opts git.Options) *git.Cache {
	t.Helper()
	opts.AllowFileURLs = true
	c, err := git.NewCache(t.TempDir(), opts)
	if err != nil {
		t.Fatalf("NewCache: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// open resolves, fetches and returns the tree of revision.
func open(t testing.TB, c *git.Cache, url, revision string, creds credentials.Credentials) (git.Revision, *git.Tree) {
	t.Helper()
	resolved, tree, err := c.Open(context.Background(), url, revision, creds)
	if err != nil {
		t.Fatalf("Open(%s, %q): %v", url, revision, err)
	}
	return resolved, tree
}

func readFile(t testing.TB, tree *git.Tree, name string) string {
	t.Helper()
	data, err := tree.ReadFile(name)
	if err != nil {
		t.Fatalf("ReadFile(%s): %v", name, err)
	}
	return string(data)
}

func mustBe(t testing.TB, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error = %v, want %v", err, kind)
	}
}
