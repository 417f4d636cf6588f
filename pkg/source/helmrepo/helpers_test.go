package helmrepo_test

import (
	"crypto/subtle"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/provenance"
	"helm.sh/helm/v3/pkg/repo"
)

// packageChart builds and packages a chart whose ConfigMap names its version.
func packageChart(t testing.TB, dir, name, version string) string {
	t.Helper()
	ch := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version, AppVersion: version},
		Templates: []*chart.File{{
			Name: "templates/configmap.yaml",
			Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  version: " + version + "\n"),
		}},
		Values: map[string]any{"replicas": 1},
	}
	path, err := chartutil.Save(ch, dir)
	if err != nil {
		t.Fatalf("package chart %s %s: %v", name, version, err)
	}
	return path
}

// chartRepo is an HTTP chart repository on loopback: index.yaml and archives.
type chartRepo struct {
	URL      string
	dir      string
	username string
	password string

	mu       sync.Mutex
	requests map[string]int
}

func newChartRepo(t testing.TB, username, password string) *chartRepo {
	t.Helper()
	r := &chartRepo{dir: t.TempDir(), username: username, password: password, requests: map[string]int{}}
	files := http.FileServer(http.Dir(r.dir))
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.requests[req.URL.Path]++
		r.mu.Unlock()
		if r.username != "" {
			user, pass, ok := req.BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(user+":"+pass), []byte(r.username+":"+r.password)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="charts"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		files.ServeHTTP(w, req)
	}))
	t.Cleanup(server.Close)
	r.URL = server.URL
	return r
}

// publish packages the charts and writes index.yaml; chartBase, when set,
// is the base URL written into the index for the archives.
func (r *chartRepo) publish(t testing.TB, chartBase string, charts map[string][]string) {
	t.Helper()
	index := repo.NewIndexFile()
	for name, versions := range charts {
		for _, version := range versions {
			path := packageChart(t, r.dir, name, version)
			digest, err := provenance.DigestFile(path)
			if err != nil {
				t.Fatal(err)
			}
			index.MustAdd(&chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version},
				filepath.Base(path), chartBase, digest)
		}
	}
	index.SortEntries()
	index.Generated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := index.WriteFile(filepath.Join(r.dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (r *chartRepo) count(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[path]
}

func (r *chartRepo) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	for _, n := range r.requests {
		total += n
	}
	return total
}

// clock is a settable time source for TTL tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

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

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}

func readAll(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
