package render

import (
	"context"
	"os"
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
	t.Run("the least recently used result is evicted beyond the cache size", func(t *testing.T) {
		renderer := NewRenderer(Options{CacheSize: 1})
		for _, app := range []string{"one", "two", "one"} {
			if _, err := renderer.Render(context.Background(), chartRequest(app)); err != nil {
				t.Fatal(err)
			}
		}
		if stats := renderer.Stats(); stats.ToolRuns != 3 || renderer.cache.len() != 1 {
			t.Errorf("stats %+v with %d cached, want three tool runs and one entry", stats, renderer.cache.len())
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
