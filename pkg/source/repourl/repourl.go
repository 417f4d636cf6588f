// Package repourl normalizes repository URLs for comparison and caching, and
// redacts credentials from URLs and messages that mention them.
package repourl

import (
	"net/url"
	"regexp"
	"strings"
)

// Normalize returns the canonical form of a repository URL: scheme and host in
// lower case, userinfo removed, and a trailing "/" or ".git" dropped. SCP-like
// SSH addresses (git@host:org/repo) become ssh://git@host/org/repo so that both
// spellings of one repository normalize alike; the SSH user is kept because it
// is part of the address, never a secret. The path keeps its case: most Git
// servers treat paths case-sensitively.
func Normalize(raw string) string {
	raw = strings.TrimSpace(raw)
	if scp, ok := scpToURL(raw); ok {
		raw = scp
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return trimSuffixes(raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if u.User != nil && u.Scheme == "ssh" {
		u.User = url.User(u.User.Username())
	} else {
		u.User = nil
	}
	u.RawQuery = ""
	u.Fragment = ""
	u.Path = trimSuffixes(u.Path)
	u.RawPath = ""
	return u.String()
}

// Equal reports whether two repository URLs name the same repository the way
// Argo CD compares them: normalized, and case-insensitively.
func Equal(a, b string) bool {
	return strings.EqualFold(Normalize(a), Normalize(b))
}

// HasPrefix reports whether the repository URL starts with the credential
// template URL prefix, compared normalized and case-insensitively as Argo CD's
// repo-creds matching does.
func HasPrefix(repoURL, prefix string) bool {
	return strings.HasPrefix(strings.ToLower(Normalize(repoURL)), strings.ToLower(Normalize(prefix)))
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

// Userinfo returns the username and password embedded in an http(s) URL, if
// any, so that they can be used as credentials instead of being sent as part
// of the address.
func Userinfo(raw string) (username, password string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.User == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", "", false
	}
	password, _ = u.User.Password()
	return u.User.Username(), password, true
}

// StripUserinfo removes userinfo from an http(s) URL; other URLs are returned
// unchanged. Use it to get the address to contact once credentials have been
// taken out of it.
func StripUserinfo(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.User == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return raw
	}
	u.User = nil
	return u.String()
}

// Redact returns the URL fit for messages and logs: userinfo is removed from
// http(s) URLs (a username there is often a token) and passwords from any URL.
func Redact(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return RedactText(raw)
	}
	if u.User == nil {
		return u.String()
	}
	if u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "oci" {
		u.User = nil
	} else {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// userinfoInText matches the userinfo part of URLs embedded in free text.
var userinfoInText = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s"']+@`)

// RedactText removes userinfo from every URL in a message, such as an error
// returned by a transport library.
func RedactText(text string) string {
	return userinfoInText.ReplaceAllString(text, "$1")
}

// Scrub redacts URLs in text and replaces every occurrence of the given
// secrets with "***". Empty secrets are ignored.
func Scrub(text string, secrets ...string) string {
	text = RedactText(text)
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		text = strings.ReplaceAll(text, secret, "***")
	}
	return text
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

func trimSuffixes(path string) string {
	path = strings.TrimRight(path, "/")
	path = strings.TrimSuffix(path, ".git")
	return strings.TrimRight(path, "/")
}
