package generators

import (
	"context"
	"encoding/json"
	"io/fs"
	"sort"
	"testing"

	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
)

// appSetFromYAML reads an ApplicationSet spec written as YAML.
func appSetFromYAML(t *testing.T, spec string) *v1alpha1.ApplicationSet {
	t.Helper()
	appSet := &v1alpha1.ApplicationSet{}
	appSet.Name, appSet.Namespace = "set", "team"
	if err := yaml.UnmarshalStrict([]byte(spec), &appSet.Spec); err != nil {
		t.Fatal(err)
	}
	return appSet
}

// staticClusters is a fixed cluster list.
type staticClusters []Cluster

func (c staticClusters) Clusters(context.Context) ([]Cluster, error) { return c, nil }

// cacheSource reads repositories through a real Git object store, without
// repository credentials.
type cacheSource struct{ cache *git.Cache }

func (s cacheSource) GitFiles(ctx context.Context, repoURL, revision, _ string, hard bool) (string, fs.FS, error) {
	if hard {
		s.cache.Invalidate(repoURL)
	}
	resolved, tree, err := s.cache.Open(ctx, repoURL, revision, credentials.Credentials{})
	if err != nil {
		return "", nil, err
	}
	return resolved.Commit, tree, nil
}

func newCacheSource(t *testing.T) cacheSource {
	t.Helper()
	cache, err := git.NewCache(t.TempDir(), git.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	return cacheSource{cache}
}

// generate runs every generator and returns all parameter sets as sorted JSON.
func generate(t *testing.T, g *Generators, appSet *v1alpha1.ApplicationSet) []string {
	t.Helper()
	results, err := g.Generate(context.Background(), appSet, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return paramsJSON(t, results)
}

func paramsJSON(t *testing.T, results []Result) []string {
	t.Helper()
	out := []string{}
	for _, result := range results {
		for _, params := range result.Params {
			data, err := json.Marshal(params)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(data))
		}
	}
	sort.Strings(out)
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
