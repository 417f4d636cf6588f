package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// gitServer serves one bare repository over Git's smart HTTP protocol on
// loopback (`git http-backend` behind net/http/cgi, as test/e2e does) and
// counts the requests: ref advertisements (GET info/refs, one per ls-remote
// or fetch) and upload-packs (POST git-upload-pack, one per fetch).
type gitServer struct {
	URL      string
	work     string // working copy; origin is the served bare repository
	bare     string
	server   *http.Server
	listener net.Listener

	refLists atomic.Int64
	fetches  atomic.Int64
	mu       sync.Mutex // serialises commits
}

// gitCounts are the server's counters at one moment.
type gitCounts struct{ RefLists, Fetches int64 }

func (s *gitServer) counts() gitCounts {
	return gitCounts{RefLists: s.refLists.Load(), Fetches: s.fetches.Load()}
}

// newGitServer creates the repository with files on branch main, serves it
// and returns once it answers.
func newGitServer(ctx context.Context, dir string, files map[string]string) (*gitServer, error) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("git is needed to serve the workload: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s := &gitServer{work: filepath.Join(dir, "work"), bare: filepath.Join(dir, "served", "bench.git")}
	if err := runGit(ctx, dir, "init", "--quiet", "--initial-branch=main", s.work); err != nil {
		return nil, err
	}
	if err := writeFiles(s.work, files); err != nil {
		return nil, err
	}
	if err := s.commitWork(ctx, "workload"); err != nil {
		return nil, err
	}
	if err := runGit(ctx, dir, "clone", "--quiet", "--bare", s.work, s.bare); err != nil {
		return nil, err
	}
	if err := runGit(ctx, s.work, "remote", "add", "origin", s.bare); err != nil {
		return nil, err
	}
	backend := &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Dir(s.bare), "GIT_HTTP_EXPORT_ALL=1"},
	}
	s.listener, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.server = &http.Server{Handler: s.counting(backend), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(s.listener) }()
	s.URL = fmt.Sprintf("http://%s/bench.git", s.listener.Addr())
	if err := runGit(ctx, dir, "ls-remote", "--quiet", s.URL); err != nil {
		s.close()
		return nil, fmt.Errorf("the bench Git server does not answer: %w", err)
	}
	s.refLists.Store(0)
	return s, nil
}

func (s *gitServer) counting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch {
		case strings.HasSuffix(req.URL.Path, "/info/refs"):
			s.refLists.Add(1)
		case strings.HasSuffix(req.URL.Path, "/git-upload-pack"):
			s.fetches.Add(1)
		}
		next.ServeHTTP(w, req)
	})
}

func (s *gitServer) close() {
	if s.server != nil {
		_ = s.server.Close()
	}
}

// commit writes files into the working copy, commits, pushes to the served
// repository and returns the new commit.
func (s *gitServer) commit(ctx context.Context, files map[string]string, message string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := writeFiles(s.work, files); err != nil {
		return "", err
	}
	// Only the written files: `add --all` would scan the whole tree of
	// every app once per commit, which limits the soak's pace.
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	if err := runGit(ctx, s.work, append([]string{"add", "--"}, names...)...); err != nil {
		return "", err
	}
	if err := runGit(ctx, s.work, "-c", "user.name=capstan-bench", "-c", "user.email=bench@capstan.invalid",
		"commit", "--quiet", "--message", message); err != nil {
		return "", err
	}
	if err := runGit(ctx, s.work, "push", "--quiet", "origin", "main"); err != nil {
		return "", err
	}
	return gitOutput(ctx, s.work, "rev-parse", "HEAD")
}

func (s *gitServer) commitWork(ctx context.Context, message string) error {
	if err := runGit(ctx, s.work, "add", "--all"); err != nil {
		return err
	}
	return runGit(ctx, s.work, "-c", "user.name=capstan-bench", "-c", "user.email=bench@capstan.invalid",
		"commit", "--quiet", "--message", message)
}

func writeFiles(root string, files map[string]string) error {
	for name, content := range files {
		full := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func runGit(ctx context.Context, dir string, args ...string) error {
	_, err := gitOutput(ctx, dir, args...)
	return err
}

func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}
