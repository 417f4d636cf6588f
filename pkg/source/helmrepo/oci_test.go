package helmrepo_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"helm.sh/helm/v3/pkg/registry"

	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/helmrepo"
	"capstan.dev/capstan/pkg/source/helmrepo/ocitest"
)

// pushCharts packages and pushes charts to the registry under path.
func pushCharts(t *testing.T, reg *ocitest.Registry, path, username, password string, charts map[string][]string) {
	t.Helper()
	options := []registry.ClientOption{registry.ClientOptPlainHTTP(),
		registry.ClientOptCredentialsFile(t.TempDir() + "/config.json")}
	if username != "" {
		options = append(options, registry.ClientOptBasicAuth(username, password))
	}
	client, err := registry.NewClient(options...)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, versions := range charts {
		for _, version := range versions {
			archive := readAll(t, packageChart(t, dir, name, version))
			ref := reg.Host + "/" + path + "/" + name + ":" + version
			if _, err := client.Push(archive, ref); err != nil {
				t.Fatalf("push %s: %v", ref, err)
			}
		}
	}
}

type countingTransport struct{ count atomic.Int64 }

func (c *countingTransport) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		c.count.Add(1)
		return next.RoundTrip(req)
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func TestFetchFromAnOCIRegistry(t *testing.T) {
	reg := ocitest.NewRegistry(t, ocitest.Options{})
	pushCharts(t, reg, "charts", "", "", map[string][]string{"web": {"1.0.0", "1.1.0", "1.1.3", "2.0.0"}})
	trips := &countingTransport{}
	client := newClient(t, helmrepo.Options{WrapTransport: trips.wrap})
	ctx := context.Background()
	plain := credentials.Credentials{InsecureOCIForceHTTP: true}
	for _, tc := range []struct{ name, url, version, want string }{
		{"an exact version is pulled", reg.URL + "/charts", "1.1.0", "1.1.0"},
		{"a range picks the highest tag", reg.URL + "/charts", ">=1.0.0 <2", "1.1.3"},
		{"an empty version is the latest", reg.URL + "/charts", "", "2.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fetched, err := client.Fetch(ctx, tc.url, "web", tc.version, plain, helmrepo.FetchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			loaded, err := fetched.Load()
			if err != nil || loaded.Metadata.Version != tc.want {
				t.Errorf("fetched %v (%v), want %s", fetched.Version, err, tc.want)
			}
		})
	}
	t.Run("enableOCI makes a URL without scheme a registry", func(t *testing.T) {
		creds := credentials.Credentials{EnableOCI: true, InsecureOCIForceHTTP: true}
		fetched, err := client.Fetch(ctx, reg.Host+"/charts", "web", "~1.0", creds, helmrepo.FetchOptions{})
		if err != nil || fetched.Version != "1.0.0" {
			t.Errorf("Fetch = %v, %v", fetched, err)
		}
	})
	t.Run("an exact version already fetched costs no request", func(t *testing.T) {
		before := trips.count.Load()
		if _, err := client.Fetch(ctx, reg.URL+"/charts", "web", "1.1.0", plain, helmrepo.FetchOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := trips.count.Load(); got != before {
			t.Errorf("requests went from %d to %d", before, got)
		}
	})
	t.Run("a second constraint within the TTL reuses the tag list", func(t *testing.T) {
		if _, err := client.Fetch(ctx, reg.URL+"/charts", "web", "^1", plain, helmrepo.FetchOptions{}); err != nil {
			t.Fatal(err)
		}
		if stats := client.Stats(reg.URL + "/charts"); stats.TagListings != 1 {
			t.Errorf("stats = %+v, want one tag listing", stats)
		}
	})
	t.Run("an unknown chart or version is not found", func(t *testing.T) {
		_, err := client.Fetch(ctx, reg.URL+"/charts", "nope", "1.0.0", plain, helmrepo.FetchOptions{})
		if !errors.Is(err, source.ErrChartNotFound) {
			t.Errorf("unknown chart: error = %v", err)
		}
		_, err = client.Fetch(ctx, reg.URL+"/charts", "web", "7.0.0", plain, helmrepo.FetchOptions{})
		if !errors.Is(err, source.ErrRevisionNotFound) {
			t.Errorf("unknown version: error = %v", err)
		}
	})
}

func TestOCIRegistryWithBasicAuth(t *testing.T) {
	const password = "registry-Pa55word"
	reg := ocitest.NewRegistry(t, ocitest.Options{Username: "bob", Password: password})
	pushCharts(t, reg, "private", "bob", password, map[string][]string{"api": {"0.3.0"}})
	ctx := context.Background()
	good := credentials.Credentials{Username: "bob", Password: password, InsecureOCIForceHTTP: true}
	fetched, err := newClient(t, helmrepo.Options{}).Fetch(ctx, reg.URL+"/private", "api", "0.3.0", good, helmrepo.FetchOptions{})
	if err != nil || fetched.Version != "0.3.0" {
		t.Fatalf("with credentials: %v, %v", fetched, err)
	}
	bad := credentials.Credentials{Username: "bob", Password: "wrong-" + password, InsecureOCIForceHTTP: true}
	_, err = newClient(t, helmrepo.Options{}).Fetch(ctx, reg.URL+"/private", "api", "0.3.0", bad, helmrepo.FetchOptions{})
	if !errors.Is(err, source.ErrAuthentication) || strings.Contains(err.Error(), password) {
		t.Errorf("with a wrong password: error = %v", err)
	}
}

func TestAnOCIRegistryOutageIsAnOutageAndAFetchedVersionStaysAvailable(t *testing.T) {
	reg := ocitest.NewRegistry(t, ocitest.Options{})
	pushCharts(t, reg, "charts", "", "", map[string][]string{"web": {"1.0.0", "1.1.0"}})
	client := newClient(t, helmrepo.Options{})
	ctx := context.Background()
	plain := credentials.Credentials{InsecureOCIForceHTTP: true}
	fetched, err := client.Fetch(ctx, reg.URL+"/charts", "web", "^1.0.0", plain, helmrepo.FetchOptions{})
	if err != nil || fetched.Version != "1.1.0" {
		t.Fatalf("fetched %v (%v), want 1.1.0", fetched, err)
	}

	reg.Close()
	client.Invalidate(reg.URL + "/charts")
	_, err = client.Fetch(ctx, reg.URL+"/charts", "web", "^1.0.0", plain, helmrepo.FetchOptions{})
	if err == nil || !source.IsOutage(err) {
		t.Fatalf("a constraint with the registry down: %v, want an outage", err)
	}
	// The version resolved before the outage (the one a comparison holds)
	// is read from the cache, without the registry.
	held, err := client.Fetch(ctx, reg.URL+"/charts", "web", "1.1.0", plain, helmrepo.FetchOptions{})
	if err != nil || held.Version != "1.1.0" {
		t.Errorf("the held version with the registry down: %v (%v)", held, err)
	}
}
