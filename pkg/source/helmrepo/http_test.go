package helmrepo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/helmrepo"
)

var allVersions = map[string][]string{
	"web": {"1.0.0", "1.2.0", "1.2.5", "2.0.0", "2.1.0-rc.1"},
	"db":  {"0.1.0"},
}

func newClient(t testing.TB, opts helmrepo.Options) *helmrepo.Client {
	t.Helper()
	client, err := helmrepo.NewClient(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func TestFetchFromAnHTTPRepository(t *testing.T) {
	charts := newChartRepo(t, "", "")
	charts.publish(t, "", allVersions)
	client := newClient(t, helmrepo.Options{})
	ctx := context.Background()
	for _, tc := range []struct{ name, version, want string }{
		{"an exact version is fetched", "1.2.0", "1.2.0"},
		{"a range picks the highest match", ">=1.0.0 <2", "1.2.5"},
		{"a tilde range stays in the minor version", "~1.2", "1.2.5"},
		{"a wildcard matches patch versions", "1.2.*", "1.2.5"},
		{"an empty version is the latest release", "", "2.0.0"},
		{"a star ignores pre-releases", "*", "2.0.0"},
		{"a pre-release constraint admits pre-releases", ">=2.1.0-0", "2.1.0-rc.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fetched, err := client.Fetch(ctx, charts.URL, "web", tc.version, credentials.Credentials{}, helmrepo.FetchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			loaded, err := fetched.Load()
			if err != nil {
				t.Fatal(err)
			}
			if fetched.Version != tc.want || loaded.Metadata.Version != tc.want {
				t.Errorf("fetched %s (chart says %s), want %s", fetched.Version, loaded.Metadata.Version, tc.want)
			}
			if !strings.HasPrefix(fetched.Digest, "sha256:") {
				t.Errorf("digest = %q", fetched.Digest)
			}
		})
	}
	for _, tc := range []struct {
		name, chart, version string
		kind                 error
	}{
		{"a version the index lacks is not found", "web", "9.9.9", source.ErrRevisionNotFound},
		{"a constraint nothing satisfies is not found", "web", ">=3", source.ErrRevisionNotFound},
		{"an unknown chart is not found", "nope", "1.0.0", source.ErrChartNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.Fetch(ctx, charts.URL, tc.chart, tc.version, credentials.Credentials{}, helmrepo.FetchOptions{})
			if !errors.Is(err, tc.kind) {
				t.Fatalf("error = %v, want %v", err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.chart) || !strings.Contains(err.Error(), charts.URL) {
				t.Errorf("error %q does not name the chart and repository", err)
			}
		})
	}
	t.Run("a missing repository is ErrRepositoryNotFound", func(t *testing.T) {
		_, err := client.Fetch(ctx, charts.URL+"/nothing-here", "web", "1.0.0", credentials.Credentials{}, helmrepo.FetchOptions{})
		if !errors.Is(err, source.ErrRepositoryNotFound) {
			t.Errorf("error = %v", err)
		}
	})
}

func TestIndexAndArchivesAreCached(t *testing.T) {
	charts := newChartRepo(t, "", "")
	charts.publish(t, "", allVersions)
	now := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	client, err := helmrepo.NewClient(dir, helmrepo.Options{IndexTTL: time.Minute, Now: now.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fetch := func(c *helmrepo.Client, version string) {
		t.Helper()
		if _, err := c.Fetch(ctx, charts.URL, "web", version, credentials.Credentials{}, helmrepo.FetchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	fetch(client, "~1.2")
	t.Run("a second constraint within the TTL reuses the index", func(t *testing.T) {
		fetch(client, ">=1.0.0 <2")
		fetch(client, "1.0.0")
		if got := charts.count("/index.yaml"); got != 1 {
			t.Errorf("index downloads = %d, want 1", got)
		}
	})
	t.Run("an archive on disk is not downloaded again, even by a new client", func(t *testing.T) {
		before := charts.total()
		fetch(client, "1.2.5")
		restarted, err := helmrepo.NewClient(dir, helmrepo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fetch(restarted, "1.2.5")
		if got := charts.total(); got != before {
			t.Errorf("requests went from %d to %d", before, got)
		}
	})
	t.Run("after the TTL the index is downloaded again", func(t *testing.T) {
		now.Advance(61 * time.Second)
		fetch(client, "~1.2")
		if got := charts.count("/index.yaml"); got != 2 {
			t.Errorf("index downloads = %d, want 2", got)
		}
	})
	t.Run("Invalidate drops the index at once", func(t *testing.T) {
		client.Invalidate(charts.URL + "/")
		fetch(client, "~1.2")
		if got := charts.count("/index.yaml"); got != 3 {
			t.Errorf("index downloads = %d, want 3", got)
		}
		if stats := client.Stats(charts.URL); stats.IndexDownloads != 3 || stats.ChartDownloads != 2 {
			t.Errorf("stats = %+v", stats)
		}
	})
}

func TestBasicAuthAndPassCredentials(t *testing.T) {
	const password = "chart-Pa55word"
	creds := credentials.Credentials{Username: "alice", Password: password}
	ctx := context.Background()
	t.Run("credentials open a protected repository", func(t *testing.T) {
		charts := newChartRepo(t, "alice", password)
		charts.publish(t, "", allVersions)
		fetched, err := newClient(t, helmrepo.Options{}).Fetch(ctx, charts.URL, "web", "1.2.0", creds, helmrepo.FetchOptions{})
		if err != nil || fetched.Version != "1.2.0" {
			t.Fatalf("Fetch = %v, %v", fetched, err)
		}
	})
	t.Run("a wrong password is an authentication error without the password", func(t *testing.T) {
		charts := newChartRepo(t, "alice", password)
		charts.publish(t, "", allVersions)
		wrong := credentials.Credentials{Username: "alice", Password: "wrong-" + password}
		_, err := newClient(t, helmrepo.Options{}).Fetch(ctx, charts.URL, "web", "1.2.0", wrong, helmrepo.FetchOptions{})
		if !errors.Is(err, source.ErrAuthentication) || strings.Contains(err.Error(), password) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("credentials go to another host only with passCredentials", func(t *testing.T) {
		archives := newChartRepo(t, "alice", password)
		archives.publish(t, archives.URL, allVersions)
		index := newChartRepo(t, "", "")
		// The index lives on one host; the archives it lists on another.
		if err := copyFile(archives.dir+"/index.yaml", index.dir+"/index.yaml"); err != nil {
			t.Fatal(err)
		}
		_, err := newClient(t, helmrepo.Options{}).Fetch(ctx, index.URL, "web", "1.2.0", creds, helmrepo.FetchOptions{})
		if !errors.Is(err, source.ErrAuthentication) {
			t.Errorf("without passCredentials: error = %v, want an authentication error", err)
		}
		fetched, err := newClient(t, helmrepo.Options{}).Fetch(ctx, index.URL, "web", "1.2.0", creds,
			helmrepo.FetchOptions{PassCredentials: true})
		if err != nil || fetched.Version != "1.2.0" {
			t.Errorf("with passCredentials: %v, %v", fetched, err)
		}
	})
}

func TestConcurrentFetchesShareOneIndexAndOneDownload(t *testing.T) {
	charts := newChartRepo(t, "", "")
	charts.publish(t, "", allVersions)
	client := newClient(t, helmrepo.Options{})
	ctx := context.Background()
	const callers = 100
	errs := make(chan error, callers)
	for range callers {
		go func() {
			_, err := client.Fetch(ctx, charts.URL, "web", "~1.2", credentials.Credentials{}, helmrepo.FetchOptions{})
			errs <- err
		}()
	}
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if index, archive := charts.count("/index.yaml"), charts.count("/web-1.2.5.tgz"); index != 1 || archive != 1 {
		t.Errorf("%d callers caused %d index and %d archive downloads, want 1 and 1", callers, index, archive)
	}
}
