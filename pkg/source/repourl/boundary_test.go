package repourl_test

import (
	"strings"
	"testing"

	"capstan.dev/capstan/pkg/source/repourl"
)

func TestHasPrefixMatchesWholePathSegmentsOnTheSameHost(t *testing.T) {
	for _, tc := range []struct {
		name, repoURL, prefix string
		want                  bool
	}{
		{"a host prefix does not match a longer host name", "https://git.corp.evil.io/x", "https://git.corp", false},
		{"a port prefix does not match a longer port", "http://127.0.0.1:4567/x", "http://127.0.0.1:45", false},
		{"a host matches every repository on it", "https://git.corp/team/app.git", "https://git.corp", true},
		{"a host with a trailing slash matches every repository on it", "https://git.corp/team/app", "https://git.corp/", true},
		{"a path prefix matches below it", "https://git.corp/team/app", "https://git.corp/team", true},
		{"a path prefix matches itself", "https://git.corp/team/app.git", "https://git.corp/team/app", true},
		{"a path prefix does not match a longer segment", "https://git.corp/team-evil/app", "https://git.corp/team", false},
		{"a dot segment cannot climb out of the prefix", "https://git.corp/team/../other/app", "https://git.corp/team", false},
		{"an escaped dot segment cannot climb out of the prefix", "https://git.corp/team/%2e%2e/other/app", "https://git.corp/team", false},
		{"the scheme must be the same", "http://git.corp/team/app", "https://git.corp/team", false},
		{"a default port equals no port", "https://git.corp:443/team/app", "https://git.corp/team", true},
		{"another port is another host", "https://git.corp:8443/team/app", "https://git.corp/team", false},
		{"the comparison ignores case like Argo CD", "https://GIT.corp/Team/App", "https://git.corp/team", true},
		{"an SCP-like URL matches an SCP-like prefix", "git@github.com:org/repo.git", "git@github.com:org", true},
		{"an SCP-like URL matches an ssh URL prefix", "git@github.com:org/repo.git", "ssh://git@github.com/org", true},
		{"an SCP-like prefix does not match a longer host", "git@github.com.evil.io:org/repo", "git@github.com:", false},
		{"an SCP-like prefix does not match a longer segment", "git@github.com:organization/repo", "git@github.com:org", false},
		{"an ssh prefix for another user does not match", "ssh://deploy@github.com/org/repo", "ssh://git@github.com/org", false},
		{"an OCI registry without scheme matches by segment", "registry.example.com/charts/web", "registry.example.com/charts", true},
		{"an OCI registry without scheme does not match a longer host", "registry.example.com.evil.io/charts", "registry.example.com", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := repourl.HasPrefix(tc.repoURL, tc.prefix); got != tc.want {
				t.Errorf("HasPrefix(%q, %q) = %v, want %v", tc.repoURL, tc.prefix, got, tc.want)
			}
		})
	}
}

func TestCheckRefusesAddressesThatMeanSomethingElse(t *testing.T) {
	for _, tc := range []struct {
		name, url, reason string
	}{
		{"a fragment", "https://host/team-a/repo#/../../team-b/repo", "fragment"},
		{"an empty fragment", "https://host/repo#", "fragment"},
		{"a password in userinfo", "https://user:hunter2@host/repo", "password"},
		{"an empty password in userinfo", "https://user:@host/repo", "password"},
		{"a password in an ssh URL", "ssh://git:hunter2@host/repo", "password"},
		{"a query", "https://host/repo?ref=main", "query"},
		{"a dot segment", "https://host/team-a/../team-b/repo", "'..'"},
		{"an escaped dot segment", "https://host/team-a/%2E%2E/team-b/repo", "'..'"},
	} {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			err := repourl.Check(tc.url)
			if err == nil {
				t.Fatalf("Check(%q) accepted it", tc.url)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("Check(%q) = %q, want a reason mentioning %s", tc.url, err, tc.reason)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Check(%q) = %q reveals the password", tc.url, err)
			}
		})
	}
	for _, url := range []string{
		"git@github.com:org/repo.git",
		"ssh://git@github.com/org/repo.git",
		"https://token@github.com/org/repo",
		"https://github.com/org/repo.git",
		"oci://ghcr.io/org/charts",
		"registry-1.docker.io/bitnamicharts",
		"file:///srv/git/repo.git",
		"https://dev.azure.com/org/project/_git/repo",
	} {
		t.Run(url+" is accepted", func(t *testing.T) {
			if err := repourl.Check(url); err != nil {
				t.Errorf("Check(%q) = %v", url, err)
			}
		})
	}
}

func TestCheckPatternAllowsGlobs(t *testing.T) {
	for _, pattern := range []string{"*", "https://github.com/org/*", "https://git?.corp/*", "!https://github.com/org/secret"} {
		if err := repourl.CheckPattern(pattern); err != nil {
			t.Errorf("CheckPattern(%q) = %v", pattern, err)
		}
	}
	for _, pattern := range []string{"https://github.com/org/*#x", "https://bob:hunter2@github.com/*"} {
		err := repourl.CheckPattern(pattern)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("CheckPattern(%q) = %v, want a refusal without the password", pattern, err)
		}
	}
}
