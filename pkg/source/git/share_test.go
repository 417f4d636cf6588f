package git_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

func TestTwoHundredCallersShareOneListingAndOneFetch(t *testing.T) {
	f := newFixture(t, gittest.ServerOptions{})
	trips := &roundTrips{}
	c := newCache(t, git.Options{WrapTransport: trips.wrap})
	ctx := context.Background()
	const callers = 200
	revisions := []string{"main", "feature", "v1.2.0", "HEAD", ">=1.0.0 <2"}
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	start := make(chan struct{})
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resolved, err := c.Resolve(ctx, f.httpURL, revisions[i%len(revisions)], credentials.Credentials{})
			if err == nil {
				err = c.Fetch(ctx, f.httpURL, resolved.Commit, credentials.Credentials{})
			}
			if err == nil {
				_, err = c.Tree(ctx, f.httpURL, resolved.Commit, credentials.Credentials{})
			}
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	stats := c.Stats(f.httpURL)
	if stats.RefListings != 1 || stats.Fetches != 1 {
		t.Errorf("stats = %+v, want one ref listing and one fetch", stats)
	}
	// One listing is one GET; one fetch is one GET (advertisement) and one POST.
	requests := f.server.Requests()
	if requests.InfoRefs != 2 || requests.UploadPack != 1 {
		t.Errorf("server saw %+v, want 2 ref advertisements and 1 upload-pack", requests)
	}
	if got := trips.count.Load(); got != 3 {
		t.Errorf("the cache sent %d HTTP requests, want 3", got)
	}
}

func TestRefListingExpiresAndCanBeInvalidated(t *testing.T) {
	f := newFixture(t, gittest.ServerOptions{})
	now := newClock()
	c := newCache(t, git.Options{RefTTL: time.Minute, Now: now.Now})
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

	first := resolve()
	pushed := f.repo.CommitOn("main", gittest.Files{"README.md": gittest.File("pushed\n")}).String()

	t.Run("within the TTL the cached listing answers", func(t *testing.T) {
		now.Advance(59 * time.Second)
		if got := resolve(); got != first || listings() != 1 {
			t.Errorf("resolved %s with %d listings, want the cached %s with 1", got, listings(), first)
		}
	})
	t.Run("after the TTL refs are listed again", func(t *testing.T) {
		now.Advance(2 * time.Second)
		if got := resolve(); got != pushed || listings() != 2 {
			t.Errorf("resolved %s with %d listings, want %s with 2", got, listings(), pushed)
		}
	})
	t.Run("Invalidate forces a new listing at once", func(t *testing.T) {
		again := f.repo.CommitOn("main", gittest.Files{"README.md": gittest.File("again\n")}).String()
		if got := resolve(); got != pushed {
			t.Errorf("resolved %s before invalidation, want the cached %s", got, pushed)
		}
		c.Invalidate(f.httpURL + "/") // any spelling of the URL
		if got := resolve(); got != again || listings() != 3 {
			t.Errorf("resolved %s with %d listings, want %s with 3", got, listings(), again)
		}
	})
	t.Run("a full SHA needs no listing", func(t *testing.T) {
		before := listings()
		if _, err := c.Resolve(ctx, f.httpURL, first, credentials.Credentials{}); err != nil {
			t.Fatal(err)
		}
		if listings() != before {
			t.Errorf("listings went from %d to %d", before, listings())
		}
	})
}

func TestFetchIsIncremental(t *testing.T) {
	f := newFixture(t, gittest.ServerOptions{})
	c := newCache(t, git.Options{})
	ctx := context.Background()
	open(t, c, f.httpURL, "main", credentials.Credentials{})
	fetches := c.Stats(f.httpURL).Fetches

	t.Run("a commit already in the cache costs no fetch", func(t *testing.T) {
		open(t, c, f.httpURL, "feature", credentials.Credentials{})
		open(t, c, f.httpURL, "v1.0.0", credentials.Credentials{})
		if got := c.Stats(f.httpURL).Fetches; got != fetches {
			t.Errorf("fetches went from %d to %d", fetches, got)
		}
	})
	t.Run("a new commit is fetched once", func(t *testing.T) {
		pushed := f.repo.CommitOn("main", gittest.Files{"README.md": gittest.File("pushed\n")})
		c.Invalidate(f.httpURL)
		_, tree := open(t, c, f.httpURL, "main", credentials.Credentials{})
		if tree.Commit() != pushed.String() || readFile(t, tree, "README.md") != "pushed\n" {
			t.Errorf("tree of %s, want %s", tree.Commit(), pushed)
		}
		if got := c.Stats(f.httpURL).Fetches; got != fetches+1 {
			t.Errorf("fetches = %d, want %d", got, fetches+1)
		}
	})
	t.Run("a commit only a pull request ref reaches is fetched by SHA", func(t *testing.T) {
		_, tree := open(t, c, f.httpURL, f.commits["pull"].String(), credentials.Credentials{})
		if got := readFile(t, tree, "README.md"); got != "pull\n" {
			t.Errorf("README.md = %q", got)
		}
	})
	t.Run("the cache survives a restart", func(t *testing.T) {
		dir := t.TempDir()
		first, err := git.NewCache(dir, git.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := first.Open(ctx, f.httpURL, "main", credentials.Credentials{}); err != nil {
			t.Fatal(err)
		}
		_ = first.Close()
		second, err := git.NewCache(dir, git.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer second.Close()
		if _, _, err := second.Open(ctx, f.httpURL, "main", credentials.Credentials{}); err != nil {
			t.Fatal(err)
		}
		if stats := second.Stats(f.httpURL); stats.Fetches != 0 {
			t.Errorf("a restarted cache fetched again: %+v", stats)
		}
	})
}

// Each fetch adds a pack, whose index every reader opened after it loads
// (read whole, see indexReadingFS): after many fetches every commit is still
// read from the store, with no fetch.
func TestEveryCommitStaysReadableAfterManyFetches(t *testing.T) {
	f := newFixture(t, gittest.ServerOptions{})
	c := newCache(t, git.Options{})
	var commits []string
	for i := range 25 {
		pushed := f.repo.CommitOn("main", gittest.Files{"README.md": gittest.File(fmt.Sprintf("push %d\n", i))})
		c.Invalidate(f.httpURL)
		_, tree := open(t, c, f.httpURL, "main", credentials.Credentials{})
		if tree.Commit() != pushed.String() || readFile(t, tree, "README.md") != fmt.Sprintf("push %d\n", i) {
			t.Fatalf("push %d: tree of %s, want %s", i, tree.Commit(), pushed)
		}
		commits = append(commits, pushed.String())
	}
	fetches := c.Stats(f.httpURL).Fetches
	for i, commit := range commits {
		_, tree := open(t, c, f.httpURL, commit, credentials.Credentials{})
		if got := readFile(t, tree, "README.md"); got != fmt.Sprintf("push %d\n", i) {
			t.Errorf("commit %d: README.md = %q", i, got)
		}
	}
	if got := c.Stats(f.httpURL).Fetches; got != fetches {
		t.Errorf("reading fetched commits fetched again: %d fetches, want %d", got, fetches)
	}
}
