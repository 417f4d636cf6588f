// Command capstan-gitserver serves the Git repositories under a directory over
// Git's smart HTTP protocol, read-only, on a loopback address. It is the demo
// Git server of `make run` (hack/local-demo.sh): `git http-backend` does the
// protocol work behind net/http/cgi, so nothing but git is needed.
//
//	capstan-gitserver --listen=127.0.0.1:27080 --root=DIR
//
// serves DIR/NAME.git as http://127.0.0.1:27080/NAME.git.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "loopback address to listen on (host:port)")
	root := flag.String("root", "", "directory holding the bare repositories to serve")
	flag.Parse()
	if err := run(*listen, *root); err != nil {
		fmt.Fprintf(os.Stderr, "capstan-gitserver: %v\n", err)
		os.Exit(1)
	}
}

func run(listen, root string) error {
	if err := requireLoopback(listen); err != nil {
		return err
	}
	if root == "" {
		return errors.New("--root is required")
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return fmt.Errorf("resolve --root: %w", err)
	}
	if info, err := os.Stat(root); err != nil || !info.IsDir() {
		return fmt.Errorf("--root %s is not a directory", root)
	}
	git, err := exec.LookPath("git")
	if err != nil {
		return fmt.Errorf("git is needed to serve repositories: %w", err)
	}
	backend := &cgi.Handler{
		Path: git,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	server := &http.Server{
		Addr:              listen,
		Handler:           logRequests(backend),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Printf("serving the Git repositories in %s at http://%s/", root, listen)
	return server.ListenAndServe()
}

// requireLoopback refuses anything but a loopback address: this server has no
// authentication and must not be reachable from other machines.
func requireLoopback(listen string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", listen, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--listen %q: only loopback addresses (127.0.0.1, ::1, localhost) are allowed", listen)
	}
	return nil
}

// statusRecorder remembers the status code written through it, for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(recorder, req)
		log.Printf("%s %s?%s %d", req.Method, req.URL.Path, req.URL.RawQuery, recorder.status)
	})
}
