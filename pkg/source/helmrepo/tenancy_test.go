package helmrepo_test

import (
	"context"
	"errors"
	"testing"

	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/helmrepo"
	"capstan.dev/capstan/pkg/source/helmrepo/ocitest"
)

func TestCachedChartsNeverCrossACredentialBoundary(t *testing.T) {
	const password = "team-a-chart-Pa55word"
	ctx := context.Background()
	others := []struct {
		name  string
		creds credentials.Credentials
	}{
		{"an anonymous caller", credentials.Credentials{}},
		{"a caller with a wrong password", credentials.Credentials{Username: "alice", Password: "guess"}},
	}
	t.Run("HTTP repository", func(t *testing.T) {
		charts := newChartRepo(t, "alice", password)
		charts.publish(t, "", allVersions)
		client := newClient(t, helmrepo.Options{})
		alice := credentials.Credentials{Username: "alice", Password: password}
		for _, version := range []string{"1.2.0", "~1.2"} {
			if _, err := client.Fetch(ctx, charts.URL, "web", version, alice, helmrepo.FetchOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		for _, other := range others {
			for _, version := range []string{"1.2.0", "~1.2", "1.2.5"} {
				t.Run(other.name+" cannot fetch "+version+" from the cache", func(t *testing.T) {
					_, err := client.Fetch(ctx, charts.URL+"/", "web", version, other.creds, helmrepo.FetchOptions{})
					if !errors.Is(err, source.ErrAuthentication) {
						t.Errorf("error = %v, want an authentication error", err)
					}
				})
			}
		}
		t.Run("the same credentials reuse the cache", func(t *testing.T) {
			before := charts.total()
			for _, version := range []string{"1.2.0", "~1.2"} {
				if _, err := client.Fetch(ctx, charts.URL, "web", version, alice, helmrepo.FetchOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if after := charts.total(); after != before {
				t.Errorf("requests went from %d to %d", before, after)
			}
		})
	})
	t.Run("OCI registry", func(t *testing.T) {
		reg := ocitest.NewRegistry(t, ocitest.Options{Username: "alice", Password: password})
		pushCharts(t, reg, "private", "alice", password, map[string][]string{"api": {"0.3.0", "0.4.0"}})
		client := newClient(t, helmrepo.Options{})
		alice := credentials.Credentials{Username: "alice", Password: password, InsecureOCIForceHTTP: true}
		for _, version := range []string{"0.3.0", "~0.4"} {
			if _, err := client.Fetch(ctx, reg.URL+"/private", "api", version, alice, helmrepo.FetchOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		for _, other := range others {
			other.creds.InsecureOCIForceHTTP = true
			for _, version := range []string{"0.3.0", "~0.4"} {
				t.Run(other.name+" cannot fetch "+version+" from the cache", func(t *testing.T) {
					_, err := client.Fetch(ctx, reg.URL+"/private", "api", version, other.creds, helmrepo.FetchOptions{})
					if !errors.Is(err, source.ErrAuthentication) {
						t.Errorf("error = %v, want an authentication error", err)
					}
				})
			}
		}
	})
}

func TestEverySpellingOfAChartRepositoryFetchesTheCanonicalURL(t *testing.T) {
	charts := newChartRepo(t, "", "")
	charts.publish(t, "", allVersions)
	client := newClient(t, helmrepo.Options{})
	ctx := context.Background()
	for _, spelling := range []string{charts.URL + "/?token=x", charts.URL + "#/other", charts.URL + "/"} {
		client.Invalidate(spelling)
		if _, err := client.Fetch(ctx, spelling, "web", "~1.2", credentials.Credentials{}, helmrepo.FetchOptions{}); err != nil {
			t.Fatalf("%s: %v", spelling, err)
		}
	}
	if got := charts.count("/index.yaml"); got != 3 {
		t.Errorf("index.yaml was requested %d times, want 3 (other paths: %d requests in all)", got, charts.total())
	}
}
