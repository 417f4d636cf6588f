package git_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

func TestCredentialsAndFailures(t *testing.T) {
	const password = "s3cr3t-Pa55word"
	f := newFixture(t, gittest.ServerOptions{Username: "alice", Password: password})
	c := newCache(t, git.Options{})
	ctx := context.Background()

	t.Run("basic auth from credentials reads the repository", func(t *testing.T) {
		_, tree := open(t, c, f.httpURL, "main", credentials.Credentials{Username: "alice", Password: password})
		if got := readFile(t, tree, "README.md"); got != "second\n" {
			t.Errorf("README.md = %q", got)
		}
	})
	t.Run("credentials in the URL are sent as basic auth", func(t *testing.T) {
		url := strings.Replace(f.httpURL, "http://", "http://alice:"+password+"@", 1)
		_, tree := open(t, newCache(t, git.Options{}), url, "main", credentials.Credentials{})
		if got := readFile(t, tree, "README.md"); got != "second\n" {
			t.Errorf("README.md = %q", got)
		}
	})
	for _, tc := range []struct {
		name  string
		url   string
		creds credentials.Credentials
	}{
		{"a wrong password is an authentication error", f.httpURL,
			credentials.Credentials{Username: "alice", Password: "wrong-" + password}},
		{"no credentials is an authentication error", f.httpURL, credentials.Credentials{}},
		{"a password in the URL never shows in the error",
			strings.Replace(f.httpURL, "http://", "http://alice:wrong-"+password+"@", 1), credentials.Credentials{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh := newCache(t, git.Options{})
			_, err := fresh.Resolve(ctx, tc.url, "main", tc.creds)
			mustBe(t, err, git.ErrAuthentication)
			if strings.Contains(err.Error(), password) {
				t.Errorf("error reveals the password: %q", err)
			}
			if !strings.Contains(err.Error(), f.httpURL) {
				t.Errorf("error %q does not name the repository", err)
			}
		})
	}
	t.Run("a missing repository is ErrRepositoryNotFound", func(t *testing.T) {
		open := gittest.NewServer(t, gittest.ServerOptions{})
		_, err := c.Resolve(ctx, open.RepoURL("missing"), "main", credentials.Credentials{})
		mustBe(t, err, git.ErrRepositoryNotFound)
	})
	t.Run("an unreachable server is ErrUnreachable", func(t *testing.T) {
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		address := listener.Addr().String()
		_ = listener.Close()
		url := "http://" + address + "/gone.git"
		_, err = c.Resolve(ctx, url, "main", credentials.Credentials{})
		mustBe(t, err, git.ErrUnreachable)
		if !strings.Contains(err.Error(), url) {
			t.Errorf("error %q does not name the URL", err)
		}
	})
	t.Run("file URLs are refused unless allowed", func(t *testing.T) {
		strict, err := git.NewCache(t.TempDir(), git.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, url := range []string{f.fileURL, f.repo.Dir} {
			_, err := strict.Resolve(ctx, url, "main", credentials.Credentials{})
			mustBe(t, err, git.ErrURLNotAllowed)
		}
	})
}
