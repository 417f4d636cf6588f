// Package ocitest runs an OCI distribution registry in the test process
// (github.com/distribution/distribution/v3 with in-memory storage) on
// loopback, optionally behind htpasswd basic auth, for tests that push and
// pull Helm charts.
package ocitest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	// The htpasswd access controller and the in-memory storage driver
	// register themselves by name.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

// Options configure a Registry.
type Options struct {
	// Username and Password, when set, are required as basic auth.
	Username string
	Password string
}

// Registry is a running registry.
type Registry struct {
	// Host is the registry's host:port (127.0.0.1:PORT), as used in chart
	// references.
	Host string
	// URL is the Argo CD style repository URL, oci://Host.
	URL string

	requests atomic.Int64
	server   *httptest.Server
}

// quietLogs silences the registry's logrus output once per process.
var quietLogs sync.Once

// NewRegistry starts a registry that is stopped at the end of the test.
func NewRegistry(t testing.TB, opts Options) *Registry {
	t.Helper()
	quietLogs.Do(func() { logrus.SetOutput(io.Discard) })
	config := &configuration.Configuration{}
	config.Storage = configuration.Storage{"inmemory": configuration.Parameters{}}
	config.HTTP.Secret = "ocitest"
	config.Log.AccessLog.Disabled = true
	if opts.Username != "" || opts.Password != "" {
		hashed, err := bcrypt.GenerateFromPassword([]byte(opts.Password), bcrypt.MinCost)
		if err != nil {
			t.Fatalf("hash registry password: %v", err)
		}
		path := filepath.Join(t.TempDir(), "htpasswd")
		if err := os.WriteFile(path, []byte(fmt.Sprintf("%s:%s\n", opts.Username, hashed)), 0o600); err != nil {
			t.Fatalf("write htpasswd: %v", err)
		}
		config.Auth = configuration.Auth{"htpasswd": configuration.Parameters{"realm": "ocitest", "path": path}}
	}
	app := handlers.NewApp(context.Background(), config)
	r := &Registry{}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		app.ServeHTTP(w, req)
	}))
	t.Cleanup(server.Close)
	r.Host = strings.TrimPrefix(server.URL, "http://")
	r.URL = "oci://" + r.Host
	r.server = server
	return r
}

// Close stops the registry, as an outage would: its address refuses
// connections from then on.
func (r *Registry) Close() { r.server.Close() }

// Requests returns the number of HTTP requests served so far.
func (r *Registry) Requests() int64 { return r.requests.Load() }
