package repourl_test

import (
	"testing"

	"capstan.dev/capstan/pkg/source/repourl"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"scheme and host are lower-cased, the path keeps its case", "HTTPS://GitHub.COM/Org/Repo", "https://github.com/Org/Repo"},
		{"a trailing .git and slash are dropped", "https://github.com/org/repo.git/", "https://github.com/org/repo"},
		{"userinfo is dropped from http URLs", "https://user:token@github.com/org/repo", "https://github.com/org/repo"},
		{"an SCP-like address becomes an ssh URL", "git@github.com:org/repo.git", "ssh://git@github.com/org/repo"},
		{"an ssh password is dropped but the user kept", "ssh://git:pw@host/org/repo", "ssh://git@host/org/repo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := repourl.Normalize(tc.in); got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRedactAndScrub(t *testing.T) {
	if got := repourl.Redact("https://token@github.com/org/repo"); got != "https://github.com/org/repo" {
		t.Errorf("Redact = %q", got)
	}
	if got := repourl.Redact("ssh://git:pw@host/repo"); got != "ssh://git@host/repo" {
		t.Errorf("Redact(ssh) = %q", got)
	}
	text := `Get "https://bob:hunter2@git.example.com/r/info/refs": EOF, password hunter2`
	if got := repourl.Scrub(text, "hunter2"); got != `Get "https://git.example.com/r/info/refs": EOF, password ***` {
		t.Errorf("Scrub = %q", got)
	}
}

func TestKinds(t *testing.T) {
	for _, tc := range []struct {
		url       string
		file, ssh bool
	}{
		{"file:///srv/repo", true, false},
		{"/srv/repo", true, false},
		{"https://host/repo", false, false},
		{"git@host:org/repo", false, true},
		{"ssh://git@host/repo", false, true},
	} {
		if repourl.IsFile(tc.url) != tc.file || repourl.IsSSH(tc.url) != tc.ssh {
			t.Errorf("%s: IsFile %v IsSSH %v, want %v %v", tc.url, repourl.IsFile(tc.url), repourl.IsSSH(tc.url), tc.file, tc.ssh)
		}
	}
	if !repourl.Equal("https://GitHub.com/org/Repo.git", "https://github.com/org/repo/") {
		t.Error("Equal is not case-insensitive like Argo CD")
	}
	if !repourl.HasPrefix("https://github.com/org/repo", "https://GITHUB.com/org") {
		t.Error("HasPrefix does not match the template prefix")
	}
}
