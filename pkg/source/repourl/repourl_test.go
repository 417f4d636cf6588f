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
		{"a default https port is dropped", "https://Git.Example.com:443/org/repo", "https://git.example.com/org/repo"},
		{"a default http port is dropped", "http://git.example.com:80/org/repo.git", "http://git.example.com/org/repo"},
		{"a default ssh port is dropped", "ssh://git@Host:22/org/repo", "ssh://git@host/org/repo"},
		{"another port is kept", "https://git.example.com:8443/org/repo", "https://git.example.com:8443/org/repo"},
		{"a query is not part of the address", "https://host/r?x=1", "https://host/r"},
		{"a fragment is not part of the address", "https://host/team-a/repo#/../team-b", "https://host/team-a/repo"},
		{"repeated .git and slashes are dropped", "https://host/r.git/.git//", "https://host/r"},
		{"an escaped slash stays escaped", "https://host/a%2Fb.git", "https://host/a%2Fb"},
		{"a file URL keeps its .git directory name", "file:///srv/git/app.git/", "file:///srv/git/app.git"},
		{"a local path keeps its .git directory name", "/srv/git/app.git", "/srv/git/app.git"},
		{"an OCI registry without scheme has its host lower-cased", "Registry.Example.com/Charts/", "registry.example.com/Charts"},
		{"an IPv6 host keeps its brackets when the port is dropped", "https://[::1]:443/r", "https://[::1]/r"},
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
