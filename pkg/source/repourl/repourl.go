// Package repourl normalizes repository URLs for comparison, caching and
// fetching, matches credential templates on whole path segments, checks URLs
// for parts that would change what is requested, and redacts credentials from
// URLs and messages that mention them.
//
// One repository has one canonical address, Normalize's result: scheme and
// host in lower case, the scheme's default port dropped, userinfo dropped
// (but the SSH user kept), no query and no fragment, and for network URLs no
// trailing "/" or ".git". Capstan keys its caches by it and fetches from it,
// so that every spelling of a repository reaches the same place. A query is
// dropped rather than honoured: neither Git's smart HTTP protocol nor a Helm
// repository (whose index is at <url>/index.yaml) can use one, so Check
// refuses it in a repoURL.
package repourl

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// defaultPorts are the ports a URL may omit, by scheme.
var defaultPorts = map[string]string{"http": "80", "https": "443", "ssh": "22", "git": "9418", "oci": "443"}

// address is a parsed repository URL in canonical form.
type address struct {
	// scheme is lower-case; "" for a local path or an OCI registry written
	// without scheme (registry.example.com/charts).
	scheme string
	// user is the SSH user; other schemes drop userinfo.
	user string
	// host is the lower-case host, with its port unless it is the default.
	host string
	// path is the escaped path without trailing "/" (nor ".git" for network
	// URLs); it starts with "/" unless empty.
	path string
}

// Normalize returns the canonical form of a repository URL (see the package
// documentation). SCP-like SSH addresses (git@host:org/repo) become
// ssh://git@host/org/repo so that both spellings of one repository normalize
// alike. The path keeps its case: most Git servers treat paths
// case-sensitively. File URLs and local paths keep a ".git" directory name,
// since a path names exactly one directory. Text that is no URL is returned
// trimmed.
func Normalize(raw string) string {
	if a, ok := parse(raw); ok {
		return a.String()
	}
	return strings.TrimSpace(raw)
}

// Equal reports whether two repository URLs name the same repository the way
// Argo CD compares them: normalized, and case-insensitively.
func Equal(a, b string) bool {
	return strings.EqualFold(Normalize(a), Normalize(b))
}

// parse reads a repository URL in any accepted spelling.
func parse(raw string) (address, bool) {
	raw = strings.TrimSpace(raw)
	if !utf8.ValidString(raw) || strings.IndexFunc(raw, isSpaceOrControl) >= 0 {
		// Invalid UTF-8 would compare equal to other invalid bytes under
		// case folding, and lower-case to something else.
		return address{}, false
	}
	if scp, ok := scpToURL(raw); ok {
		raw = scp
	}
	if !strings.Contains(raw, "://") {
		return parseSchemeless(raw)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Scheme == "" {
		return address{}, false
	}
	a := address{scheme: strings.ToLower(u.Scheme)}
	if a.scheme == "file" {
		a.host = strings.ToLower(u.Host)
		a.path = trimSlashes(u.EscapedPath())
		return a, true
	}
	// A host with ":" in it is an IPv6 literal only in brackets; Go's parser
	// also accepts "a://::", whose host would print as "[:]".
	if u.Hostname() == "" || (strings.Contains(u.Hostname(), ":") && !strings.HasPrefix(u.Host, "[")) {
		return address{}, false
	}
	a.host = canonicalHost(u.Hostname(), u.Port(), a.scheme)
	if a.scheme == "ssh" && u.User != nil {
		a.user = u.User.Username()
	}
	a.path = trimRepoSuffixes(u.EscapedPath())
	return a, true
}

// parseSchemeless reads a local path or an OCI registry written without a
// scheme (host[:port]/path).
func parseSchemeless(raw string) (address, bool) {
	if raw == "" || strings.ContainsAny(raw, "?#@\\") {
		return address{}, false
	}
	if strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, ".") || strings.HasPrefix(raw, "~") {
		path := trimSlashes(raw)
		if path == "" {
			path = "/"
		}
		return address{path: path}, true
	}
	host, path, _ := strings.Cut(raw, "/")
	if host == "" {
		return address{}, false
	}
	return address{host: strings.ToLower(host), path: trimSlashes("/" + path)}, true
}

// canonicalHost lower-cases the host and drops the scheme's default port.
func canonicalHost(hostname, port, scheme string) string {
	hostname = strings.ToLower(hostname)
	if strings.Contains(hostname, ":") {
		hostname = "[" + hostname + "]"
	}
	if port == "" || port == defaultPorts[scheme] {
		return hostname
	}
	return hostname + ":" + port
}

// String renders the address.
func (a address) String() string {
	switch {
	case a.scheme == "" && a.host == "":
		return a.path
	case a.scheme == "":
		return a.host + a.path
	case a.scheme == "file":
		return "file://" + a.host + a.path
	}
	u := url.URL{Scheme: a.scheme, Host: a.host, RawPath: a.path}
	u.Path, _ = url.PathUnescape(a.path)
	if a.user != "" {
		u.User = url.User(a.user)
	}
	return u.String()
}

// IsFile reports whether the URL points at the local filesystem: a file://
// URL or a bare path.
func IsFile(raw string) bool {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(strings.ToLower(raw), "file://") {
		return true
	}
	if _, ok := scpToURL(raw); ok {
		return false
	}
	return !strings.Contains(raw, "://")
}

// IsSSH reports whether the URL is reached over SSH (ssh:// or SCP-like).
func IsSSH(raw string) bool {
	raw = strings.TrimSpace(raw)
	if _, ok := scpToURL(raw); ok {
		return true
	}
	return strings.HasPrefix(strings.ToLower(raw), "ssh://")
}

// scpToURL turns user@host:path into ssh://user@host/path.
func scpToURL(raw string) (string, bool) {
	if strings.Contains(raw, "://") {
		return "", false
	}
	at := strings.Index(raw, "@")
	colon := strings.Index(raw, ":")
	if at <= 0 || colon < at {
		return "", false
	}
	return "ssh://" + raw[:colon] + "/" + strings.TrimPrefix(raw[colon+1:], "/"), true
}

// isSpaceOrControl matches characters no repository URL contains.
func isSpaceOrControl(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// trimSlashes drops trailing slashes (a lone "/" becomes empty).
func trimSlashes(path string) string {
	return strings.TrimRight(path, "/")
}

// trimRepoSuffixes drops trailing slashes and ".git", as often as they repeat,
// so that the result is stable.
func trimRepoSuffixes(path string) string {
	for {
		trimmed := strings.TrimSuffix(trimSlashes(path), ".git")
		if trimmed == path {
			return path
		}
		path = trimmed
	}
}
