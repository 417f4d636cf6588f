package repourl

import (
	"strings"
	"testing"
)

// FuzzNormalize checks the invariants of normalization, equality and
// credential template matching on arbitrary pairs of strings: nothing panics,
// Normalize is idempotent, Equal is symmetric and agrees with Normalize, and
// HasPrefix only ever matches the same scheme and host on a path boundary,
// whatever spelling either side uses. The seed corpus runs with every go test.
func FuzzNormalize(f *testing.F) {
	seeds := [][2]string{
		{"https://git.corp.evil.io/x", "https://git.corp"},
		{"https://git.corp/team/app.git", "https://git.corp/team"},
		{"https://git.corp/team-evil/app", "https://git.corp/team"},
		{"HTTPS://Git.Corp:443/Team/App.git/", "https://git.corp/team/"},
		{"http://127.0.0.1:4567/x", "http://127.0.0.1:45"},
		{"git@github.com:org/repo.git", "git@github.com:org"},
		{"git@github.com.evil.io:org/repo", "git@github.com:"},
		{"ssh://git@github.com:22/org/repo", "ssh://github.com/org"},
		{"ssh://git:pw@host/r", "ssh://git@host"},
		{"https://user:token@host/r?x=1#frag", "https://host"},
		{"https://host/team/../other/r", "https://host/team"},
		{"https://host/team/%2e%2e/other/r", "https://host/team"},
		{"https://host/a%2Fb.git", "https://host/a"},
		{"https://[::1]:443/r", "https://[::1]"},
		{"https://[fe80::1%25en0]:8443/r", "https://[fe80::1%25en0]:8443"},
		{"oci://Registry.Example.com/charts", "oci://registry.example.com"},
		{"registry.example.com/charts/web", "registry.example.com/charts"},
		{"localhost:5000/charts", "localhost:5000"},
		{"file:///srv/git/app.git", "file:///srv"},
		{"/srv/git/app.git/", "/srv/git"},
		{"./relative/repo", "."},
		{"r.git.git/", ""},
		{"https://host/r.git/.git", "https://host/r"},
		{"https://host/%zz", "https://host"},
		{"git@host:", "git@host:/"},
		{"@:", "a@b:c"},
		{"https://host:/r", "https://host:443/r"},
		{" https://host/r ", "https://HOST"},
		{"https://host/r%2E%2E", "https://host"},
		{"git://host:9418/r", "git://host/r"},
		{"git:hunter2@host:org/repo", "git@host:org"},
		{"ftp://bob:hunter2@example.com/repo", "ftp://example.com"},
		{"A://::", "A://::"},
	}
	for _, seed := range seeds {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, repoURL, prefix string) {
		for _, raw := range []string{repoURL, prefix} {
			normalized := Normalize(raw)
			if again := Normalize(normalized); again != normalized {
				t.Fatalf("Normalize is not idempotent: %q → %q → %q", raw, normalized, again)
			}
			if !Equal(raw, normalized) {
				t.Fatalf("Equal(%q, Normalize = %q) is false", raw, normalized)
			}
			_ = Check(raw)
			_ = CheckPattern(raw)
			if userinfo, _ := userinfoOf(Redact(raw)); strings.Contains(userinfo, ":") {
				t.Fatalf("Redact(%q) = %q keeps a password", raw, Redact(raw))
			}
		}
		if Equal(repoURL, prefix) != Equal(prefix, repoURL) {
			t.Fatalf("Equal is not symmetric for %q and %q", repoURL, prefix)
		}
		if !HasPrefix(repoURL, prefix) {
			return
		}
		if !HasPrefix(Normalize(repoURL), Normalize(prefix)) {
			t.Fatalf("HasPrefix(%q, %q) depends on the spelling", repoURL, prefix)
		}
		repo, repoOK := parse(repoURL)
		template, templateOK := parse(prefix)
		if !repoOK || !templateOK {
			t.Fatalf("HasPrefix(%q, %q) matched an unparsable URL", repoURL, prefix)
		}
		if repo.scheme != template.scheme || !strings.EqualFold(repo.host, template.host) {
			t.Fatalf("HasPrefix(%q, %q) matched another scheme or host: %+v, %+v", repoURL, prefix, repo, template)
		}
		repoPath, templatePath := strings.ToLower(repo.path), strings.ToLower(trimSlashes(template.path))
		if templatePath != "" && repoPath != templatePath && !strings.HasPrefix(repoPath, templatePath+"/") {
			t.Fatalf("HasPrefix(%q, %q) matched inside a path segment: %q, %q", repoURL, prefix, repoPath, templatePath)
		}
		if hasDotSegment(repo.path) {
			t.Fatalf("HasPrefix(%q, %q) matched a path with dot segments", repoURL, prefix)
		}
	})
}
