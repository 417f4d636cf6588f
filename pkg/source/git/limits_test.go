package git_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

func TestABlobLargerThanTheLimitIsAnErrorNamingFileAndLimit(t *testing.T) {
	server := gittest.NewServer(t, gittest.ServerOptions{})
	repo := server.NewRepo(t, "big")
	repo.CommitOn("main", gittest.Files{
		"small.yaml":        gittest.File("kind: ConfigMap\n"),
		"exactly.yaml":      gittest.File(strings.Repeat("x", 100)),
		"app/huge.yaml":     gittest.File(strings.Repeat("y", 101)),
		"link-to-huge.yaml": gittest.Symlink("app/huge.yaml"),
	})
	c := newCache(t, git.Options{MaxBlobBytes: 100})
	_, tree := open(t, c, server.RepoURL("big"), "main", credentials.Credentials{})
	if got := readFile(t, tree, "small.yaml"); got != "kind: ConfigMap\n" {
		t.Errorf("small.yaml = %q", got)
	}
	if got := readFile(t, tree, "exactly.yaml"); len(got) != 100 {
		t.Errorf("a file of exactly the limit read %d bytes", len(got))
	}
	reads := map[string]func() error{
		"ReadFile": func() error { _, err := tree.ReadFile("app/huge.yaml"); return err },
		"Open":     func() error { _, err := tree.Open("app/huge.yaml"); return err },
		"fs.ReadFile through a symlink": func() error {
			_, err := fs.ReadFile(tree, "link-to-huge.yaml")
			return err
		},
	}
	for name, read := range reads {
		t.Run(name+" refuses the file", func(t *testing.T) {
			err := read()
			t.Logf("error: %v", err)
			if !errors.Is(err, git.ErrTooLarge) {
				t.Fatalf("error = %v, want ErrTooLarge", err)
			}
			if !strings.Contains(err.Error(), "huge.yaml") || !strings.Contains(err.Error(), "100 bytes") {
				t.Errorf("error %q does not name the file and the limit", err)
			}
		})
	}
}

func TestServerResponsesLargerThanTheLimitsFail(t *testing.T) {
	f := newFixture(t, gittest.ServerOptions{})
	ctx := context.Background()
	t.Run("a ref advertisement", func(t *testing.T) {
		_, err := newCache(t, git.Options{MaxRefListBytes: 200}).Resolve(ctx, f.httpURL, "main", credentials.Credentials{})
		mustBe(t, err, git.ErrTooLarge)
		t.Logf("error: %v", err)
		if !strings.Contains(err.Error(), "larger than the limit of 200 bytes") {
			t.Errorf("error %q does not name the limit", err)
		}
	})
	t.Run("a pack", func(t *testing.T) {
		_, _, err := newCache(t, git.Options{MaxPackBytes: 300}).Open(ctx, f.httpURL, "main", credentials.Credentials{})
		mustBe(t, err, git.ErrTooLarge)
		t.Logf("error: %v", err)
		if !strings.Contains(err.Error(), "larger than the limit of 300 bytes") {
			t.Errorf("error %q does not name the limit", err)
		}
	})
	t.Run("within the limits everything is read", func(t *testing.T) {
		open(t, newCache(t, git.Options{MaxRefListBytes: 64 << 10, MaxPackBytes: 1 << 20}), f.httpURL, "main", credentials.Credentials{})
	})
}
