package git_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

func TestResolveEveryRevisionForm(t *testing.T) {
	f := newFixture(t, gittest.ServerOptions{})
	cases := []struct {
		name     string
		revision string
		commit   string // key in f.commits
		ref      string
		readme   string
	}{
		{"an empty revision is HEAD", "", "second", "refs/heads/main", "second\n"},
		{"HEAD follows the default branch", "HEAD", "second", "refs/heads/main", "second\n"},
		{"a branch name resolves to its tip", "main", "second", "refs/heads/main", "second\n"},
		{"a full branch ref resolves to its tip", "refs/heads/feature", "feature", "refs/heads/feature", "feature\n"},
		{"another branch resolves to its own tip", "feature", "feature", "refs/heads/feature", "feature\n"},
		{"a lightweight tag resolves to its commit", "v1.0.0", "first", "refs/tags/v1.0.0", "first\n"},
		{"an annotated tag is peeled to its commit", "v1.2.0", "second", "refs/tags/v1.2.0", "second\n"},
		{"a full tag ref is peeled too", "refs/tags/v1.2.0", "second", "refs/tags/v1.2.0", "second\n"},
		{"a full SHA is taken as is", "@first", "first", "", "first\n"},
		{"a short SHA is found among fetched objects", "@feature:7", "feature", "", "feature\n"},
		{"a longer short SHA works too", "@first:12", "first", "", "first\n"},
		{"a range constraint picks the highest matching tag", ">=1.0.0 <2", "second", "refs/tags/v1.2.0", "second\n"},
		{"a wildcard constraint matches patch versions", "1.2.*", "second", "refs/tags/v1.2.0", "second\n"},
		{"a tilde constraint stays within the minor version", "~1.0", "first", "refs/tags/v1.0.0", "first\n"},
		{"a star constraint picks the highest release", "*", "feature", "refs/tags/v2.0.0", "feature\n"},
		{"a pull request ref resolves by its short name", "pull/1/head", "pull", "refs/pull/1/head", "pull\n"},
	}
	for _, transport := range []struct{ name, url string }{{"over HTTP", f.httpURL}, {"over file://", f.fileURL}} {
		t.Run(transport.name, func(t *testing.T) {
			c := newCache(t, git.Options{})
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					revision := tc.revision
					if strings.HasPrefix(revision, "@") {
						key, length, _ := strings.Cut(revision[1:], ":")
						revision = f.commits[key].String()
						if n, err := strconv.Atoi(length); err == nil {
							revision = revision[:n]
						}
					}
					resolved, tree := open(t, c, transport.url, revision, credentials.Credentials{})
					if want := f.commits[tc.commit].String(); resolved.Commit != want {
						t.Errorf("commit = %s, want %s (%s)", resolved.Commit, want, tc.commit)
					}
					if resolved.Ref != tc.ref {
						t.Errorf("ref = %q, want %q", resolved.Ref, tc.ref)
					}
					if got := readFile(t, tree, "README.md"); got != tc.readme {
						t.Errorf("README.md = %q, want %q", got, tc.readme)
					}
				})
			}
		})
	}
}

func TestResolveRefusesUnknownRevisions(t *testing.T) {
	f := newFixture(t, gittest.ServerOptions{})
	c := newCache(t, git.Options{})
	ctx := context.Background()
	for _, revision := range []string{"no-such-branch", ">=9.0.0", "deadbee", "refs/heads/gone"} {
		t.Run("revision "+revision+" is not found and named in the error", func(t *testing.T) {
			_, err := c.Resolve(ctx, f.httpURL, revision, credentials.Credentials{})
			mustBe(t, err, git.ErrRevisionNotFound)
			for _, want := range []string{revision, f.httpURL} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
	t.Run("an unknown full SHA is not found when fetched", func(t *testing.T) {
		unknown := strings.Repeat("ab", 20)
		resolved, err := c.Resolve(ctx, f.httpURL, unknown, credentials.Credentials{})
		if err != nil || resolved.Commit != unknown {
			t.Fatalf("Resolve(full SHA) = %v, %v; want it taken as is", resolved, err)
		}
		err = c.Fetch(ctx, f.httpURL, unknown, credentials.Credentials{})
		mustBe(t, err, git.ErrRevisionNotFound)
		if !strings.Contains(err.Error(), unknown) {
			t.Errorf("error %q does not name the commit", err)
		}
		if _, err := c.Tree(ctx, f.httpURL, unknown, credentials.Credentials{}); err == nil {
			t.Error("Tree of an unknown commit succeeded")
		}
	})
}

func TestShallowFetchReadsTheCommit(t *testing.T) {
	f := newFixture(t, gittest.ServerOptions{})
	for _, tc := range []struct {
		name  string
		opts  git.Options
		creds credentials.Credentials
	}{
		{"depth from the cache options", git.Options{Depth: 1}, credentials.Credentials{}},
		{"depth from the repository Secret", git.Options{}, credentials.Credentials{Depth: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCache(t, tc.opts)
			_, tree := open(t, c, f.httpURL, "v1.2.0", tc.creds)
			if got := readFile(t, tree, "app/deploy.yaml"); got != "kind: Deployment # second\n" {
				t.Errorf("app/deploy.yaml = %q", got)
			}
			// The parent was not fetched: a shallow fetch brings one commit.
			if _, err := c.Tree(context.Background(), f.httpURL, f.commits["first"].String(), credentials.Credentials{}); err == nil {
				t.Error("the parent commit is in a depth-1 cache")
			}
			_, tree = open(t, c, f.httpURL, f.commits["first"].String(), tc.creds)
			if got := readFile(t, tree, "README.md"); got != "first\n" {
				t.Errorf("README.md of the parent = %q", got)
			}
		})
	}
}
