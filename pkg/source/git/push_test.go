package git_test

import (
	"context"
	"sync"
	"testing"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

func TestAPushReportedToManyApplicationsIsListedOnce(t *testing.T) {
	f := newFixture(t, gittest.ServerOptions{})
	c := newCache(t, git.Options{})
	ctx := context.Background()
	resolve := func() string {
		t.Helper()
		resolved, err := c.Resolve(ctx, f.httpURL, "main", credentials.Credentials{})
		if err != nil {
			t.Fatal(err)
		}
		return resolved.Commit
	}
	listings := func() int64 { return c.Stats(f.httpURL).RefListings }
	resolve()
	pushed := f.repo.CommitOn("main", gittest.Files{"README.md": gittest.File("pushed\n")}).String()

	t.Run("every Application refreshed for the push resolves the pushed commit after one more listing", func(t *testing.T) {
		const applications = 50
		var wg sync.WaitGroup
		commits := make(chan string, applications)
		for range applications {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.InvalidateForPush(f.httpURL, "refs/heads/main", pushed)
				commits <- resolve()
			}()
		}
		wg.Wait()
		close(commits)
		for commit := range commits {
			if commit != pushed {
				t.Fatalf("resolved %s, want the pushed %s", commit, pushed)
			}
		}
		if got := listings(); got != 2 {
			t.Errorf("%d listings, want 2 (one before the push, one for it)", got)
		}
	})

	t.Run("the same push reported again lists nothing", func(t *testing.T) {
		c.InvalidateForPush(f.httpURL+"/", "refs/heads/main", pushed)
		resolve()
		if got := listings(); got != 2 {
			t.Errorf("%d listings, want still 2", got)
		}
	})

	t.Run("a push a listing already shows lists nothing", func(t *testing.T) {
		c.InvalidateForPush(f.httpURL, "refs/tags/v1.2.0", f.commits["second"].String())
		c.InvalidateForPush(f.httpURL, "refs/heads/gone", "")
		resolve()
		if got := listings(); got != 2 {
			t.Errorf("%d listings, want still 2", got)
		}
	})

	t.Run("a new push lists again", func(t *testing.T) {
		next := f.repo.CommitOn("main", gittest.Files{"README.md": gittest.File("next\n")}).String()
		c.InvalidateForPush(f.httpURL, "refs/heads/main", next)
		if got := resolve(); got != next {
			t.Errorf("resolved %s, want %s", got, next)
		}
		if got := listings(); got != 3 {
			t.Errorf("%d listings, want 3", got)
		}
	})
}
