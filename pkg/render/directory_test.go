package render

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

const testRevision = "3f2a1c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b"

// configMap is a manifest of a ConfigMap named name.
func configMap(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"
}

// names lists "Kind/name" of objects, in order.
func names(objs []*unstructured.Unstructured) []string {
	out := make([]string, len(objs))
	for i, obj := range objs {
		out[i] = obj.GetKind() + "/" + obj.GetName()
	}
	return out
}

// renderMap renders source over fsys with a fresh renderer.
func renderMap(t *testing.T, fsys fstest.MapFS, source v1alpha1.ApplicationSource, opts Options) (*Result, error) {
	t.Helper()
	if source.RepoURL == "" {
		source.RepoURL = "https://git.example.com/repo.git"
	}
	return NewRenderer(opts).Render(context.Background(), Request{
		Source: source, Repo: fsys, Revision: testRevision, AppName: "guestbook",
		DestinationNamespace: "web", Project: "default", KubeVersion: "1.30.0",
	})
}

func directoryFixture() fstest.MapFS {
	return fstest.MapFS{
		"apps/a.yaml":          {Data: []byte(configMap("a1") + "---\n---\n" + configMap("a2"))},
		"apps/b.json":          {Data: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}`)},
		"apps/c.yml":           {Data: []byte(configMap("c"))},
		"apps/.hidden.yaml":    {Data: []byte(configMap("hidden"))},
		"apps/list.yaml":       {Data: []byte("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: l1\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: l2\n")},
		"apps/null-list.yaml":  {Data: []byte("apiVersion: v1\nkind: ConfigMapList\nitems: null\n")},
		"apps/json-list.json":  {Data: []byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"j1"}}]}`)},
		"apps/values.yaml":     {Data: []byte("replicas: 3\nimage: nginx\n")},
		"apps/README.md":       {Data: []byte(configMap("not-a-manifest-extension"))},
		"apps/skip.yaml":       {Data: []byte("# +argocd:skip-file-rendering\n" + configMap("skipped"))},
		"apps/sub/d.yaml":      {Data: []byte(configMap("d"))},
		"apps/sub/e.json":      {Data: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"e"}}`)},
		"apps/sub/deep/f.yaml": {Data: []byte(configMap("f"))},
	}
}

func TestDirectory(t *testing.T) {
	tests := []struct {
		name      string
		directory *v1alpha1.ApplicationSourceDirectory
		want      []string
	}{
		{
			name: "a flat directory reads YAML documents, JSON, lists and hidden files and ignores the rest",
			want: []string{"ConfigMap/hidden", "ConfigMap/a1", "ConfigMap/a2", "ConfigMap/b", "ConfigMap/c", "Secret/j1", "ConfigMap/l1", "ConfigMap/l2"},
		},
		{
			name:      "recurse reads subdirectories in lexical order",
			directory: &v1alpha1.ApplicationSourceDirectory{Recurse: true},
			want:      []string{"ConfigMap/hidden", "ConfigMap/a1", "ConfigMap/a2", "ConfigMap/b", "ConfigMap/c", "Secret/j1", "ConfigMap/l1", "ConfigMap/l2", "ConfigMap/d", "ConfigMap/f", "ConfigMap/e"},
		},
		{
			name:      "include takes {a,b} alternatives matched against the path relative to the source path",
			directory: &v1alpha1.ApplicationSourceDirectory{Recurse: true, Include: "{a.yaml,sub/*.json}"},
			want:      []string{"ConfigMap/a1", "ConfigMap/a2", "ConfigMap/e"},
		},
		{
			name:      "a star in exclude also crosses directories, as in Argo CD",
			directory: &v1alpha1.ApplicationSourceDirectory{Recurse: true, Exclude: "*.json"},
			want:      []string{"ConfigMap/hidden", "ConfigMap/a1", "ConfigMap/a2", "ConfigMap/c", "ConfigMap/l1", "ConfigMap/l2", "ConfigMap/d", "ConfigMap/f"},
		},
		{
			name:      "exclude wins over include",
			directory: &v1alpha1.ApplicationSourceDirectory{Recurse: true, Include: "sub/*", Exclude: "sub/deep/*"},
			want:      []string{"ConfigMap/d", "ConfigMap/e"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result, err := renderMap(t, directoryFixture(), v1alpha1.ApplicationSource{Path: "apps", Directory: tt.directory}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if result.SourceType != v1alpha1.ApplicationSourceTypeDirectory {
				t.Errorf("source type %s", result.SourceType)
			}
			if got := strings.Join(names(result.Objects), " "); got != strings.Join(tt.want, " ") {
				t.Errorf("got  %s\nwant %s", got, strings.Join(tt.want, " "))
			}
		})
	}
}

func TestDirectoryErrors(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		opts  Options
		want  string
		is    error
	}{
		{
			name:  "a broken manifest is an error naming the file",
			files: fstest.MapFS{"apps/bad.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n")}},
			want:  `failed to unmarshal "apps/bad.yaml"`,
		},
		{
			name:  "a JSON file with two objects is refused",
			files: fstest.MapFS{"apps/two.json": {Data: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}} {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}`)}},
			want:  "found multiple objects",
		},
		{
			name:  "manifest files larger together than the limit are refused",
			files: fstest.MapFS{"apps/a.yaml": {Data: []byte(configMap("a"))}, "apps/b.yaml": {Data: []byte(configMap("b"))}},
			opts:  Options{MaxManifestBytes: 60},
			is:    ErrTooLarge,
		},
		{
			name:  "a missing path is reported as not found",
			files: fstest.MapFS{"other/a.yaml": {Data: []byte(configMap("a"))}},
			is:    ErrNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderMap(t, tt.files, v1alpha1.ApplicationSource{Path: "apps"}, tt.opts)
			if err == nil {
				t.Fatal("expected an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), `render directory "apps" at 3f2a1c9: `) && !strings.HasPrefix(err.Error(), `render source "apps"`) {
				t.Errorf("error %q does not say what and where", err)
			}
		})
	}
}
