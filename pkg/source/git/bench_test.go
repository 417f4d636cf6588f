package git_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

// BenchmarkRefResolution measures N applications resolving the same branch
// after a refresh: shared (one listing for all, this package) against the
// reference of one listing per application (Argo CD without its Redis lock).
func BenchmarkRefResolution(b *testing.B) {
	server := gittest.NewServer(b, gittest.ServerOptions{})
	repo := server.NewRepo(b, "bench")
	repo.CommitOn("main", gittest.Files{"README.md": gittest.File("bench\n")})
	url := server.RepoURL("bench")
	ctx := context.Background()
	var reference time.Duration
	for _, callers := range []int{20, 200} {
		b.Run(fmt.Sprintf("one listing per caller/callers=%d", callers), func(b *testing.B) {
			caches := make([]*git.Cache, callers)
			for i := range caches {
				caches[i] = newCache(b, git.Options{})
			}
			b.ResetTimer()
			for range b.N {
				resolveConcurrently(b, callers, func(i int) error {
					caches[i].Invalidate(url)
					_, err := caches[i].Resolve(ctx, url, "main", credentials.Credentials{})
					return err
				})
			}
			reference = b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(callers), "listings/op")
		})
		b.Run(fmt.Sprintf("shared listing/callers=%d", callers), func(b *testing.B) {
			c := newCache(b, git.Options{})
			b.ResetTimer()
			for range b.N {
				c.Invalidate(url) // a refresh: the cached listing is gone
				resolveConcurrently(b, callers, func(int) error {
					_, err := c.Resolve(ctx, url, "main", credentials.Credentials{})
					return err
				})
			}
			perOp := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(c.Stats(url).RefListings)/float64(b.N), "listings/op")
			if reference > 0 && perOp > 0 {
				b.ReportMetric(float64(reference)/float64(perOp), "x-faster-than-reference")
			}
		})
	}
}

func resolveConcurrently(b *testing.B, callers int, resolve func(int) error) {
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- resolve(i)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTreeRead reads every file of a 200-file commit: from a new Cache
// (cold object cache, pack indexes opened again), from a warm Cache, and, as
// the reference, from a checked-out directory with os.DirFS.
func BenchmarkTreeRead(b *testing.B) {
	files := gittest.Files{}
	for i := range 200 {
		content := fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\ndata:\n  value: %q\n",
			i, strings.Repeat("x", 1500))
		files[fmt.Sprintf("apps/app%d/cm-%d.yaml", i%10, i)] = gittest.File(content)
	}
	repo := gittest.NewRepo(b, b.TempDir()+"/repo.git")
	commit := repo.CommitOn("main", files).String()
	ctx := context.Background()
	dir := b.TempDir()
	warm, err := git.NewCache(dir, git.Options{AllowFileURLs: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = warm.Close() })
	if _, _, err := warm.Open(ctx, repo.FileURL(), commit, credentials.Credentials{}); err != nil {
		b.Fatal(err)
	}
	checkout := writeCheckout(b, files)

	var reference time.Duration
	report := func(b *testing.B) {
		perOp := b.Elapsed() / time.Duration(b.N)
		if reference > 0 && perOp > 0 {
			b.ReportMetric(float64(perOp)/float64(reference), "x-time-of-dirfs")
		}
	}
	b.Run("reference os.DirFS checkout", func(b *testing.B) {
		for range b.N {
			readAll(b, os.DirFS(checkout), 200)
		}
		reference = b.Elapsed() / time.Duration(b.N)
	})
	b.Run("cold object cache", func(b *testing.B) {
		for range b.N {
			cold, err := git.NewCache(dir, git.Options{AllowFileURLs: true})
			if err != nil {
				b.Fatal(err)
			}
			tree, err := cold.Tree(ctx, repo.FileURL(), commit, credentials.Credentials{})
			if err != nil {
				b.Fatal(err)
			}
			readAll(b, tree, 200)
			_ = cold.Close()
		}
		report(b)
	})
	b.Run("cached object cache", func(b *testing.B) {
		for range b.N {
			tree, err := warm.Tree(ctx, repo.FileURL(), commit, credentials.Credentials{})
			if err != nil {
				b.Fatal(err)
			}
			readAll(b, tree, 200)
		}
		report(b)
	})
}

func readAll(b *testing.B, fsys fs.FS, want int) {
	count := 0
	err := fs.WalkDir(fsys, ".", func(name string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		if _, err := fs.ReadFile(fsys, name); err != nil {
			return err
		}
		count++
		return nil
	})
	if err != nil || count != want {
		b.Fatalf("read %d files (%v), want %d", count, err, want)
	}
}

// BenchmarkTreePerApplication reads one application's file of a monorepo of
// 1,000 application directories through a new Tree of the commit each time,
// as every render does (one Tree per render), against os.DirFS reading the
// same file from a checkout. The directories' tree objects are shared by
// the Trees of a repository, so a render decodes none of them again.
func BenchmarkTreePerApplication(b *testing.B) {
	const apps = 1000
	files := gittest.Files{}
	for i := range apps {
		files[fmt.Sprintf("apps/app%04d/cm.yaml", i)] = gittest.File(fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\n", i))
	}
	cache, url, commit, checkout := openedRepository(b, files)
	ctx := context.Background()
	dirfs := os.DirFS(checkout)
	start := time.Now()
	for i := range apps {
		if _, err := fs.ReadFile(dirfs, fmt.Sprintf("apps/app%04d/cm.yaml", i)); err != nil {
			b.Fatal(err)
		}
	}
	reference := time.Since(start) / apps

	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tree, err := cache.Tree(ctx, url, commit, credentials.Credentials{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := fs.ReadFile(tree, fmt.Sprintf("apps/app%04d/cm.yaml", i%apps)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed()/time.Duration(i))/float64(reference), "x-time-of-dirfs")
}

// writeCheckout writes files into a new directory, as a checkout of their commit.
func writeCheckout(b *testing.B, files gittest.Files) string {
	b.Helper()
	checkout := b.TempDir()
	for name, entry := range files {
		path := filepath.Join(checkout, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(entry.Content), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return checkout
}

// BenchmarkTreeStat asks a Tree whether files exist (fs.Stat, as a
// renderer's Exists or IsDir does) against os.DirFS on a checkout of the same
// commit. A Stat reads no blob: the size of a FileInfo is looked up only if
// asked for.
func BenchmarkTreeStat(b *testing.B) {
	const apps = 200
	files := gittest.Files{}
	for i := range apps {
		files[fmt.Sprintf("apps/app%04d/kustomization.yaml", i)] = gittest.File("resources: [cm.yaml]\n")
		files[fmt.Sprintf("apps/app%04d/cm.yaml", i)] = gittest.File(fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\n", i))
	}
	cache, url, commit, checkout := openedRepository(b, files)
	ctx := context.Background()
	tree, err := cache.Tree(ctx, url, commit, credentials.Credentials{})
	if err != nil {
		b.Fatal(err)
	}
	dirfs := os.DirFS(checkout)
	names := make([]string, 0, 2*apps)
	for i := range apps {
		names = append(names, fmt.Sprintf("apps/app%04d/kustomization.yaml", i), fmt.Sprintf("apps/app%04d/cm.yaml", i))
	}
	start := time.Now()
	for _, name := range names {
		if _, err := fs.Stat(dirfs, name); err != nil {
			b.Fatal(err)
		}
	}
	reference := time.Since(start) / time.Duration(len(names))

	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := fs.Stat(tree, names[i%len(names)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed()/time.Duration(i))/float64(reference), "x-time-of-dirfs")
}

// openedRepository commits files to a new repository and opens it in a new
// cache, returning the cache, the repository's URL, the commit and a checkout
// of the same files on disk (the reference).
func openedRepository(b *testing.B, files gittest.Files) (cache *git.Cache, url, commit, checkout string) {
	b.Helper()
	repo := gittest.NewRepo(b, b.TempDir()+"/repo.git")
	commit = repo.CommitOn("main", files).String()
	cache, err := git.NewCache(b.TempDir(), git.Options{AllowFileURLs: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cache.Close() })
	if _, _, err := cache.Open(context.Background(), repo.FileURL(), commit, credentials.Credentials{}); err != nil {
		b.Fatal(err)
	}
	return cache, repo.FileURL(), commit, writeCheckout(b, files)
}
