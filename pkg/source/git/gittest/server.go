// Package gittest builds Git repositories with go-git and serves them over
// Git's smart HTTP protocol on loopback (git http-backend behind
// net/http/cgi), for tests of any package that reads Git.
package gittest

import (
	"crypto/subtle"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// ServerOptions configure a Server.
type ServerOptions struct {
	// Username and Password, when set, are required as HTTP basic auth.
	Username string
	Password string
}

// Requests counts the Git protocol requests a Server answered.
type Requests struct {
	// InfoRefs counts ref advertisements (GET .../info/refs): one per ref
	// listing and one per fetch.
	InfoRefs int
	// UploadPack counts pack requests (POST .../git-upload-pack): one per
	// fetch that wanted objects.
	UploadPack int
	// Unauthorized counts requests refused for missing or bad credentials.
	Unauthorized int
}

// Server serves the bare repositories under Root at URL.
type Server struct {
	// URL is the base address, http://127.0.0.1:PORT.
	URL string
	// Root holds the repositories, NAME.git for each.
	Root string

	opts     ServerOptions
	mu       sync.Mutex
	requests Requests
	server   *httptest.Server
}

// NewServer starts a server on 127.0.0.1 that is stopped at the end of the
// test. It skips the test when git is not installed.
func NewServer(t testing.TB, opts ServerOptions) *Server {
	t.Helper()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skipf("git is needed to serve repositories over HTTP: %v", err)
	}
	s := &Server{Root: t.TempDir(), opts: opts}
	backend := &cgi.Handler{
		Path: git,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + s.Root, "GIT_HTTP_EXPORT_ALL=1"},
		// git reports refused wants on stderr; the client sees the error too.
		Stderr: io.Discard,
	}
	server := httptest.NewServer(s.handler(backend))
	t.Cleanup(server.Close)
	s.URL = server.URL
	s.server = server
	return s
}

// Close stops the server, as an outage would: its address refuses
// connections from then on.
func (s *Server) Close() { s.server.Close() }

// RepoURL returns the clone URL of repository name.
func (s *Server) RepoURL(name string) string { return s.URL + "/" + name + ".git" }

// NewRepo creates the bare repository name, served at RepoURL(name).
func (s *Server) NewRepo(t testing.TB, name string) *Repo {
	t.Helper()
	return NewRepo(t, s.Root+"/"+name+".git")
}

// Requests returns the counts so far.
func (s *Server) Requests() Requests {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// ResetRequests sets the counts to zero.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = Requests{}
}

func (s *Server) handler(backend http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			s.count(func(c *Requests) { c.Unauthorized++ })
			w.Header().Set("WWW-Authenticate", `Basic realm="gittest"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/info/refs"):
			s.count(func(c *Requests) { c.InfoRefs++ })
		case strings.HasSuffix(r.URL.Path, "/git-upload-pack"):
			s.count(func(c *Requests) { c.UploadPack++ })
		}
		backend.ServeHTTP(w, r)
	})
}

func (s *Server) authorized(r *http.Request) bool {
	if s.opts.Username == "" && s.opts.Password == "" {
		return true
	}
	username, password, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(username), []byte(s.opts.Username)) == 1 &&
		subtle.ConstantTimeCompare([]byte(password), []byte(s.opts.Password)) == 1
}

func (s *Server) count(update func(*Requests)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	update(&s.requests)
}
