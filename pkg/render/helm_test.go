package render

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// fakeFetcher serves charts from memory and records what it was asked for.
type fakeFetcher struct {
	charts map[string]fs.FS
	asked  []string
}

func (f *fakeFetcher) FetchChart(_ context.Context, repository, name, version string) (fs.FS, error) {
	f.asked = append(f.asked, repository+" "+name+" "+version)
	chart, ok := f.charts[name]
	if !ok {
		return nil, errors.New("no such chart")
	}
	return chart, nil
}

func chartWithRemoteDependency() fstest.MapFS {
	return fstest.MapFS{
		"app/Chart.yaml": {Data: []byte(`apiVersion: v2
name: app
version: 0.1.0
dependencies:
  - name: remote-dep
    version: ">=1.0.0"
    repository: https://charts.example.com
    alias: cache
`)},
		"app/Chart.lock": {Data: []byte(`dependencies:
- name: remote-dep
  repository: https://charts.example.com
  version: 1.4.2
digest: sha256:0000
generated: "2026-01-01T00:00:00Z"
`)},
		"app/values.yaml":        {Data: []byte("cache:\n  size: 5\n")},
		"app/templates/cm.yaml":  {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n")},
		"app/templates/bad.yaml": {Data: []byte("{{- if .Values.broken }}\n{{ .Values.nothing.here }}\n{{- end }}\n")},
	}
}

func remoteDependencyChart() fstest.MapFS {
	return fstest.MapFS{
		"Chart.yaml":       {Data: []byte("apiVersion: v2\nname: remote-dep\nversion: 1.4.2\n")},
		"values.yaml":      {Data: []byte("size: 1\n")},
		"templates/x.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-dep\ndata:\n  size: {{ .Values.size | quote }}\n")},
	}
}

func TestHelmDependencies(t *testing.T) {
	t.Run("a dependency missing from charts/ is fetched at its locked version and aliased", func(t *testing.T) {
		fetcher := &fakeFetcher{charts: map[string]fs.FS{"remote-dep": remoteDependencyChart()}}
		result, err := renderMap(t, chartWithRemoteDependency(), v1alpha1.ApplicationSource{Path: "app"}, Options{DependencyFetcher: fetcher})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(fetcher.asked, ","); got != "https://charts.example.com remote-dep 1.4.2" {
			t.Errorf("fetcher asked for %q", got)
		}
		if got := strings.Join(names(result.Objects), " "); got != "ConfigMap/guestbook-dep ConfigMap/app" {
			t.Fatalf("objects %s", got)
		}
		if size, _, _ := unstructuredString(result.Objects[0].Object, "data", "size"); size != "5" {
			t.Errorf("the parent's values for the alias did not reach the dependency: size %q", size)
		}
	})
	t.Run("a dependency that cannot be obtained is a clear error", func(t *testing.T) {
		_, err := renderMap(t, chartWithRemoteDependency(), v1alpha1.ApplicationSource{Path: "app"}, Options{})
		if !errors.Is(err, ErrMissingDependency) || !strings.Contains(err.Error(), `"remote-dep" version "1.4.2"`) {
			t.Errorf("error %v", err)
		}
	})
}

func TestHelmErrors(t *testing.T) {
	fetcher := &fakeFetcher{charts: map[string]fs.FS{"remote-dep": remoteDependencyChart()}}
	tests := []struct {
		name string
		helm *v1alpha1.ApplicationSourceHelm
		want string
	}{
		{
			name: "a template error names the chart, the revision and the template line",
			helm: &v1alpha1.ApplicationSourceHelm{Parameters: []v1alpha1.HelmParameter{{Name: "broken", Value: "true"}}},
			want: `render helm chart "app" at 3f2a1c9: template: app/templates/bad.yaml:2:`,
		},
		{
			name: "malformed inline values are an error",
			helm: &v1alpha1.ApplicationSourceHelm{Values: "a: [unclosed\n"},
			want: "failed to parse values",
		},
		{
			name: "an invalid release name is refused by helm",
			helm: &v1alpha1.ApplicationSourceHelm{ReleaseName: "Not_A_Valid_Name"},
			want: "release name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderMap(t, chartWithRemoteDependency(), v1alpha1.ApplicationSource{Path: "app", Helm: tt.helm}, Options{DependencyFetcher: fetcher})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
	t.Run("values that break the chart schema are refused", func(t *testing.T) {
		source := v1alpha1.ApplicationSource{Path: "charts/guestbook", Helm: &v1alpha1.ApplicationSourceHelm{
			Parameters: []v1alpha1.HelmParameter{{Name: "replicaCount", Value: "many"}},
		}}
		req := chartRequest("guestbook")
		req.Source = source
		req.Source.RepoURL = "https://git.example.com/repo.git"
		_, err := NewRenderer(Options{}).Render(context.Background(), req)
		if err == nil || !strings.Contains(err.Error(), "replicaCount") {
			t.Errorf("error %v, want a schema error about replicaCount", err)
		}
	})
}

// unstructuredString reads a nested string field.
func unstructuredString(obj map[string]any, fields ...string) (string, bool, error) {
	var current any = obj
	for _, field := range fields {
		m, ok := current.(map[string]any)
		if !ok {
			return "", false, nil
		}
		current = m[field]
	}
	s, ok := current.(string)
	return s, ok, nil
}
