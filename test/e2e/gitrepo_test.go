package e2e

import (
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// gitRepo is a Git repository served over smart HTTP on 127.0.0.1 by
// `git http-backend`, for Applications to point at. It counts the ref
// advertisements (one per ref listing or fetch) and upload-packs (one per
// fetch) it answers.
type gitRepo struct {
	URL  string
	work string
	// username and password, when set, are required as HTTP basic auth.
	username, password string

	infoRefs, uploadPacks atomic.Int64
	server                *httptest.Server
	handler               http.Handler
}

// newGitRepo creates a repository holding files (path → content), commits them
// on branch main and serves it until the test ends.
func newGitRepo(t *testing.T, files map[string]string) *gitRepo {
	t.Helper()
	return serveGitRepo(t, files, "", "")
}

// newPrivateGitRepo is newGitRepo served only with HTTP basic auth.
func newPrivateGitRepo(t *testing.T, files map[string]string, username, password string) *gitRepo {
	t.Helper()
	return serveGitRepo(t, files, username, password)
}

func serveGitRepo(t *testing.T, files map[string]string, username, password string) *gitRepo {
	t.Helper()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("git is needed for the e2e tests: %v", err)
	}
	root := t.TempDir()
	repo := &gitRepo{work: filepath.Join(root, "work"), username: username, password: password}
	runGit(t, root, "init", "--initial-branch=main", repo.work)
	repo.commit(t, files, "initial content")
	runGit(t, root, "clone", "--bare", repo.work, filepath.Join(root, "served", "repo.git"))
	backend := &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Join(root, "served"), "GIT_HTTP_EXPORT_ALL=1"},
	}
	repo.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, _ := r.BasicAuth(); repo.username != "" && (user != repo.username || pass != repo.password) {
			w.Header().Set("WWW-Authenticate", `Basic realm="e2e"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/info/refs"):
			repo.infoRefs.Add(1)
		case strings.HasSuffix(r.URL.Path, "/git-upload-pack"):
			repo.uploadPacks.Add(1)
		}
		backend.ServeHTTP(w, r)
	})
	server := httptest.NewServer(repo.handler)
	t.Cleanup(func() { repo.server.Close() })
	repo.server = server
	repo.URL = server.URL + "/repo.git"
	runGit(t, repo.work, "remote", "add", "origin", filepath.Join(root, "served", "repo.git"))
	return repo
}

// commit writes files into the repository and pushes a commit to main.
func (r *gitRepo) commit(t *testing.T, files map[string]string, message string) {
	t.Helper()
	for path, content := range files {
		full := filepath.Join(r.work, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runGit(t, r.work, "add", "-A")
	runGit(t, r.work, "-c", "user.name=e2e", "-c", "user.email=e2e@capstan.invalid", "commit", "-q", "-m", message)
	if out, err := exec.Command("git", "-C", r.work, "remote").Output(); err == nil && strings.TrimSpace(string(out)) != "" {
		runGit(t, r.work, "push", "-q", "origin", "main")
	}
}

// stop takes the repository's server away, as an outage would: its port
// refuses connections until restart.
func (r *gitRepo) stop() { r.server.Close() }

// restart serves the repository again at the same URL after stop, once the
// port can be bound again.
func (r *gitRepo) restart(t *testing.T) {
	t.Helper()
	address := r.server.Listener.Addr().String()
	var listener net.Listener
	eventually(t, time.Minute, "the Git server's port to be free again", func() (bool, error) {
		var err error
		listener, err = net.Listen("tcp", address)
		return err == nil, err
	})
	server := &httptest.Server{Listener: listener, Config: &http.Server{Handler: r.handler}}
	server.Start()
	r.server = server
}

// remove deletes files from the repository and pushes a commit to main.
func (r *gitRepo) remove(t *testing.T, paths []string, message string) {
	t.Helper()
	runGit(t, r.work, append([]string{"rm", "-q"}, paths...)...)
	runGit(t, r.work, "-c", "user.name=e2e", "-c", "user.email=e2e@capstan.invalid", "commit", "-q", "-m", message)
	runGit(t, r.work, "push", "-q", "origin", "main")
}

// head returns the commit main points at.
func (r *gitRepo) head(t *testing.T) string {
	t.Helper()
	return strings.TrimSpace(runGit(t, r.work, "rev-parse", "HEAD"))
}

func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
