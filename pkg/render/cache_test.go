package render

import (
	"context"
	"os"
	"reflect"
	"sync"
	"testing"
	"testing/fstest"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func chartRequest(appName string) Request {
	return Request{
		Source:               v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/repo.git", Path: "charts/guestbook"},
		Repo:                 os.DirFS("testdata/repo"),
		Revision:             testRevision,
		AppName:              appName,
		DestinationNamespace: "web",
		KubeVersion:          "1.30.0",
	}
}

func TestCache(t *testing.T) {
	t.Run("a second render of the same source does no tool work and returns an independent copy", func(t *testing.T) {
		renderer := NewRenderer(Options{})
		first, err := renderer.Render(context.Background(), chartRequest("guestbook"))
		if err != nil {
			t.Fatal(err)
		}
		first.Objects[0].SetName("mutated-by-caller")
		second, err := renderer.Render(context.Background(), chartRequest("guestbook"))
		if err != nil {
			t.Fatal(err)
		}
		if stats := renderer.Stats(); stats.ToolRuns != 1 || stats.CacheHits != 1 {
			t.Errorf("stats %+v, want one tool run and one cache hit", stats)
		}
		if second.Objects[0].GetName() == "mutated-by-caller" {
			t.Error("a caller's change leaked into the cache")
		}
	})
	t.Run("a different application name is a different Helm render", func(t *testing.T) {
		renderer := NewRenderer(Options{})
		for _, app := range []string{"one", "two"} {
			if _, err := renderer.Render(context.Background(), chartRequest(app)); err != nil {
				t.Fatal(err)
			}
		}
		if stats := renderer.Stats(); stats.ToolRuns != 2 {
			t.Errorf("stats %+v, want two tool runs", stats)
		}
	})
	t.Run("applications that share a plain directory share its render", func(t *testing.T) {
		renderer := NewRenderer(Options{})
		fsys := fstest.MapFS{"apps/a.yaml": {Data: []byte(configMap("a"))}}
		for _, app := range []string{"one", "two"} {
			_, err := renderer.Render(context.Background(), Request{
				Source: v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/repo.git", Path: "apps"},
				Repo:   fsys, Revision: testRevision, AppName: app, DestinationNamespace: app,
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if stats := renderer.Stats(); stats.ToolRuns != 1 || stats.CacheHits != 1 {
			t.Errorf("stats %+v, want one tool run and one cache hit", stats)
		}
	})
	t.Run("the branch and the commit it resolved to share a render", func(t *testing.T) {
		// A comparison names the branch, the operation it starts the commit
		// the comparison resolved: the same files, the same output.
		renderer := NewRenderer(Options{})
		for _, targetRevision := range []string{"main", testRevision} {
			req := chartRequest("guestbook")
			req.Source.TargetRevision = targetRevision
			if _, err := renderer.Render(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		}
		if stats := renderer.Stats(); stats.ToolRuns != 1 || stats.CacheHits != 1 {
			t.Errorf("stats %+v, want one tool run and one cache hit", stats)
		}
	})
	t.Run("a spec that substitutes variables sees the targetRevision, so it keys the render", func(t *testing.T) {
		renderer := NewRenderer(Options{})
		fsys := fstest.MapFS{"apps/kustomization.yaml": {Data: []byte("resources: [cm.yaml]\n")}, "apps/cm.yaml": {Data: []byte(configMap("a"))}}
		var annotated []string
		for _, targetRevision := range []string{"main", testRevision} {
			res, err := renderer.Render(context.Background(), Request{
				Source: v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/repo.git", Path: "apps", TargetRevision: targetRevision,
					Kustomize: &v1alpha1.ApplicationSourceKustomize{CommonAnnotationsEnvsubst: true,
						CommonAnnotations: map[string]string{"revision": "$ARGOCD_APP_SOURCE_TARGET_REVISION"}}},
				Repo: fsys, Revision: testRevision, AppName: "a", DestinationNamespace: "a",
			})
			if err != nil {
				t.Fatal(err)
			}
			annotated = append(annotated, res.Objects[0].GetAnnotations()["revision"])
		}
		if stats := renderer.Stats(); stats.ToolRuns != 2 {
			t.Errorf("stats %+v, want two tool runs", stats)
		}
		if annotated[0] != "main" || annotated[1] != testRevision {
			t.Errorf("annotations %q, want the targetRevision substituted in each", annotated)
		}
	})
	t.Run("another revision is rendered again", func(t *testing.T) {
		renderer := NewRenderer(Options{})
		for _, revision := range []string{"aaaaaaa", "bbbbbbb"} {
			req := chartRequest("guestbook")
			req.Revision = revision
			if _, err := renderer.Render(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		}
		if stats := renderer.Stats(); stats.ToolRuns != 2 {
			t.Errorf("stats %+v, want two tool runs", stats)
		}
	})
	t.Run("the least recently used result is evicted beyond the cache's bytes", func(t *testing.T) {
		sizing := NewRenderer(Options{})
		if _, err := sizing.Render(context.Background(), chartRequest("one")); err != nil {
			t.Fatal(err)
		}
		one := sizing.cache.Size()
		// Room for one render of the chart, not two.
		renderer := NewRenderer(Options{CacheBytes: one + one/2})
		for _, app := range []string{"one", "two", "one"} {
			if _, err := renderer.Render(context.Background(), chartRequest(app)); err != nil {
				t.Fatal(err)
			}
		}
		if stats := renderer.Stats(); stats.ToolRuns != 3 || renderer.cache.Len() != 1 {
			t.Errorf("stats %+v with %d cached, want three tool runs and one entry", stats, renderer.cache.Len())
		}
		if size := renderer.cache.Size(); size > one+one/2 {
			t.Errorf("the cache holds %d bytes, more than its %d", size, one+one/2)
		}
	})
	t.Run("a cached result decodes to the rendered objects, numbers of either kind kept", func(t *testing.T) {
		renderer := NewRenderer(Options{})
		fsys := fstest.MapFS{"apps/a.yaml": {Data: []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  annotations:
    note: "1.0"
data:
  key: value
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  replicas: 3
  ratio: 1.5
  weights: [0.5, 2]
`)}}
		req := Request{Source: v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/repo.git", Path: "apps"}, Repo: fsys, Revision: testRevision, AppName: "a", DestinationNamespace: "a"}
		first, err := renderer.Render(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		second, err := renderer.Render(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if !second.Cached || len(second.Objects) != 2 {
			t.Fatalf("second render: cached %v, %d objects", second.Cached, len(second.Objects))
		}
		for i := range first.Objects {
			if !reflect.DeepEqual(first.Objects[i].Object, second.Objects[i].Object) {
				t.Errorf("object %d from the cache:\n%#v\nrendered:\n%#v", i, second.Objects[i].Object, first.Objects[i].Object)
			}
		}
		if _, isInt := second.Objects[1].Object["spec"].(map[string]any)["replicas"].(int64); !isInt {
			t.Errorf("replicas from the cache is %T, want int64", second.Objects[1].Object["spec"].(map[string]any)["replicas"])
		}
		if _, isFloat := second.Objects[1].Object["spec"].(map[string]any)["ratio"].(float64); !isFloat {
			t.Errorf("ratio from the cache is %T, want float64", second.Objects[1].Object["spec"].(map[string]any)["ratio"])
		}
	})
	t.Run("concurrent renders of one source share a single tool run", func(t *testing.T) {
		renderer := NewRenderer(Options{})
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := renderer.Render(context.Background(), chartRequest("guestbook")); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if stats := renderer.Stats(); stats.ToolRuns != 1 {
			t.Errorf("stats %+v, want one tool run", stats)
		}
	})
}
