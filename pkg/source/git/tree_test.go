package git_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

func TestTreeIsAValidFilesystem(t *testing.T) {
	repo := gittest.NewRepo(t, t.TempDir()+"/repo.git")
	repo.CommitOn("main", gittest.Files{
		"README.md":              gittest.File("hello\n"),
		"app/base/deploy.yaml":   gittest.File("kind: Deployment\n"),
		"app/base/service.yaml":  gittest.File("kind: Service\n"),
		"app/overlay/kust.yaml":  gittest.File("resources: [../base]\n"),
		"scripts/render.sh":      gittest.Executable("#!/bin/sh\n"),
		"app/base/values.json":   gittest.File(`{"a": 1}`),
		"app/overlay/link.yaml":  gittest.Symlink("../base/deploy.yaml"),
		"docs/guide/intro.md":    gittest.File("# intro\n"),
		"docs/guide/zz-last.md":  gittest.File("last\n"),
		"docs/guide/aa-first.md": gittest.File("first\n"),
	})
	c := newCache(t, git.Options{})
	_, tree := open(t, c, repo.FileURL(), "main", credentials.Credentials{})
	if err := fstest.TestFS(tree, "README.md", "app/base/deploy.yaml", "app/overlay/link.yaml",
		"scripts/render.sh", "docs/guide/intro.md"); err != nil {
		t.Fatal(err)
	}
	t.Run("files keep their git modes", func(t *testing.T) {
		for name, want := range map[string]fs.FileMode{
			"scripts/render.sh": 0o755, "README.md": 0o644, "app": fs.ModeDir | 0o755,
		} {
			info, err := tree.Stat(name)
			if err != nil || info.Mode() != want {
				t.Errorf("Stat(%s) mode = %v, %v; want %v", name, info.Mode(), err, want)
			}
		}
	})
	t.Run("directories list sorted by name", func(t *testing.T) {
		entries, err := tree.ReadDir("docs/guide")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, entry := range entries {
			names = append(names, entry.Name())
		}
		if got := strings.Join(names, ","); got != "aa-first.md,intro.md,zz-last.md" {
			t.Errorf("ReadDir = %s", got)
		}
	})
	t.Run("a missing file is fs.ErrNotExist", func(t *testing.T) {
		_, err := tree.ReadFile("app/missing.yaml")
		mustBe(t, err, fs.ErrNotExist)
	})
	t.Run("paths with dot-dot or a leading slash are invalid", func(t *testing.T) {
		for _, name := range []string{"../etc/passwd", "app/../README.md", "/README.md"} {
			_, err := tree.ReadFile(name)
			mustBe(t, err, fs.ErrInvalid)
		}
	})
}

func TestSymlinks(t *testing.T) {
	repo := gittest.NewRepo(t, t.TempDir()+"/repo.git")
	repo.CommitOn("main", gittest.Files{
		"README.md":            gittest.File("readme\n"),
		"app/deploy.yaml":      gittest.File("kind: Deployment\n"),
		"app/up.yaml":          gittest.Symlink("../README.md"),
		"link-to-file.yaml":    gittest.Symlink("app/deploy.yaml"),
		"link-to-dir":          gittest.Symlink("app"),
		"chain-a":              gittest.Symlink("chain-b"),
		"chain-b":              gittest.Symlink("README.md"),
		"escape":               gittest.Symlink("../../etc/passwd"),
		"absolute":             gittest.Symlink("/etc/passwd"),
		"app/nested/escape":    gittest.Symlink("../../../outside"),
		"loop":                 gittest.Symlink("loop"),
		"dangling":             gittest.Symlink("nothing-here"),
		"via-dir/through.yaml": gittest.Symlink("../link-to-dir/deploy.yaml"),
	})
	c := newCache(t, git.Options{})
	_, tree := open(t, c, repo.FileURL(), "main", credentials.Credentials{})

	for _, tc := range []struct{ name, path, want string }{
		{"a symlink to a file reads the file", "link-to-file.yaml", "kind: Deployment\n"},
		{"a symlink going up inside the repository reads the file", "app/up.yaml", "readme\n"},
		{"a symlinked directory is traversed", "link-to-dir/deploy.yaml", "kind: Deployment\n"},
		{"a chain of symlinks is followed", "chain-a", "readme\n"},
		{"a symlink through another symlinked directory is followed", "via-dir/through.yaml", "kind: Deployment\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := readFile(t, tree, tc.path); got != tc.want {
				t.Errorf("ReadFile(%s) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, path, link string }{
		{"a relative symlink that leaves the repository is refused", "escape", "escape"},
		{"an absolute symlink is refused", "absolute", "absolute"},
		{"a nested symlink that climbs out is refused", "app/nested/escape", "app/nested/escape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tree.ReadFile(tc.path)
			mustBe(t, err, git.ErrOutsideRepository)
			want := fmt.Sprintf("symlink %s points outside the repository", tc.link)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		})
	}
	t.Run("a symlink loop is an error, not a hang", func(t *testing.T) {
		if _, err := tree.ReadFile("loop"); err == nil || !strings.Contains(err.Error(), "too many levels") {
			t.Errorf("ReadFile(loop) error = %v", err)
		}
	})
	t.Run("a dangling symlink does not exist", func(t *testing.T) {
		_, err := tree.ReadFile("dangling")
		mustBe(t, err, fs.ErrNotExist)
	})
	t.Run("Lstat and ReadDir describe the link itself", func(t *testing.T) {
		info, err := tree.Lstat("escape")
		if err != nil || info.Mode()&fs.ModeSymlink == 0 {
			t.Fatalf("Lstat(escape) = %v, %v", info, err)
		}
		target, err := tree.ReadLink("escape")
		if err != nil || target != "../../etc/passwd" {
			t.Errorf("ReadLink(escape) = %q, %v", target, err)
		}
		entries, err := tree.ReadDir(".")
		if err != nil {
			t.Fatal(err)
		}
		for _, entry := range entries {
			if entry.Name() == "link-to-dir" && entry.Type() != fs.ModeSymlink {
				t.Errorf("entry link-to-dir type = %v", entry.Type())
			}
		}
	})
	t.Run("CheckSymlinks reports the first link that leaves the repository", func(t *testing.T) {
		err := tree.CheckSymlinks("app")
		mustBe(t, err, git.ErrOutsideRepository)
		if !strings.Contains(err.Error(), "app/nested/escape") {
			t.Errorf("error %q does not name the link", err)
		}
		if err := tree.CheckSymlinks("via-dir"); err != nil {
			t.Errorf("CheckSymlinks(via-dir) = %v", err)
		}
	})
}

func TestConcurrentTreesOfOneRepository(t *testing.T) {
	server := gittest.NewServer(t, gittest.ServerOptions{})
	repo := server.NewRepo(t, "busy")
	const commits = 12
	var hashes []string
	for i := range commits {
		files := gittest.Files{}
		for j := range 20 {
			files[fmt.Sprintf("dir%d/file%d.yaml", j%4, j)] = gittest.File(fmt.Sprintf("commit %d file %d\n", i, j))
		}
		hashes = append(hashes, repo.CommitOn("main", files).String())
		repo.Tag(fmt.Sprintf("v0.%d.0", i), repo.CommitOn("main", files))
	}
	url := server.RepoURL("busy")
	c := newCache(t, git.Options{})
	ctx := context.Background()
	open(t, c, url, "main", credentials.Credentials{})

	// Readers of every commit run while new commits are fetched.
	var wg sync.WaitGroup
	errs := make(chan error, commits*4+1)
	for i, hash := range hashes {
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- readWholeCommit(ctx, c, url, hash, i)
			}()
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		next := repo.CommitOn("next", gittest.Files{"new.yaml": gittest.File("new\n")})
		c.Invalidate(url)
		if _, err := c.Resolve(ctx, url, "next", credentials.Credentials{}); err != nil {
			errs <- err
			return
		}
		errs <- c.Fetch(ctx, url, next.String(), credentials.Credentials{})
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func readWholeCommit(ctx context.Context, c *git.Cache, url, hash string, index int) error {
	tree, err := c.Tree(ctx, url, hash, credentials.Credentials{})
	if err != nil {
		return err
	}
	for range 3 {
		err := fs.WalkDir(tree, ".", func(name string, entry fs.DirEntry, err error) error {
			if err != nil || entry.IsDir() {
				return err
			}
			data, err := fs.ReadFile(tree, name)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(string(data), fmt.Sprintf("commit %d ", index)) {
				return fmt.Errorf("%s at %s = %q, want commit %d", name, hash, data, index)
			}
			return nil
		})
		if err != nil {
			return errors.Join(fmt.Errorf("read commit %s", hash), err)
		}
	}
	return nil
}

// Trim lets go of decoded objects and directories; a Tree opened before it
// and one opened after still read every file, from the pack.
func TestTreeReadsAfterTrim(t *testing.T) {
	repo := gittest.NewRepo(t, t.TempDir()+"/repo.git")
	repo.CommitOn("main", gittest.Files{
		"app/deploy.yaml": gittest.File("kind: Deployment\n"),
		"app/sub/cm.yaml": gittest.File("kind: ConfigMap\n"),
	})
	c := newCache(t, git.Options{})
	_, before := open(t, c, repo.FileURL(), "main", credentials.Credentials{})
	read := func(tree fs.FS) string {
		t.Helper()
		var parts []string
		for _, name := range []string{"app/deploy.yaml", "app/sub/cm.yaml"} {
			data, err := fs.ReadFile(tree, name)
			if err != nil {
				t.Fatalf("read %s: %v", name, err)
			}
			parts = append(parts, string(data))
		}
		return strings.Join(parts, "")
	}
	want := "kind: Deployment\nkind: ConfigMap\n"
	if got := read(before); got != want {
		t.Fatalf("before Trim: %q", got)
	}
	c.Trim()
	if got := read(before); got != want {
		t.Errorf("a Tree opened before Trim reads %q after it, want %q", got, want)
	}
	_, after := open(t, c, repo.FileURL(), "main", credentials.Credentials{})
	if got := read(after); got != want {
		t.Errorf("a Tree opened after Trim reads %q, want %q", got, want)
	}
}
