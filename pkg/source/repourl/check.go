package repourl

import (
	"errors"
	"strings"
)

// Reasons Check and CheckPattern refuse a URL. Their texts never quote the
// URL, which may hold a password.
var (
	// ErrFragment: a "#" ends the address early, so the server is asked for
	// another path than the one written.
	ErrFragment = errors.New("must not contain a fragment ('#'): it changes the path that is requested")
	// ErrPassword: a password in the URL would be stored in the object and
	// shown to everyone who can read it.
	ErrPassword = errors.New("must not carry a password in its userinfo (user:password@): put credentials in a repository Secret")
	// ErrQuery: a query is not part of a repository's address.
	ErrQuery = errors.New("must not contain a query ('?'): neither Git nor a Helm repository uses one, and it would be dropped")
	// ErrDotSegment: "." and ".." segments make the server resolve another
	// path than the one credential templates and projects were matched on.
	ErrDotSegment = errors.New("must not contain '.' or '..' path segments")
)

// Check reports why a repository URL may not be used as written: a fragment,
// a password in its userinfo, a query, or dot segments in its path. A user
// without password (git@host:org/repo, https://token@host/r) is allowed. It
// does not check the URL's scheme or syntax beyond that.
func Check(raw string) error {
	if err := CheckPattern(raw); err != nil {
		return err
	}
	raw = strings.TrimSpace(raw)
	if strings.Contains(raw, "?") {
		return ErrQuery
	}
	if a, ok := parse(raw); ok && hasDotSegment(a.path) {
		return ErrDotSegment
	}
	return nil
}

// CheckPattern applies the checks of Check that make sense for a glob over
// repository URLs (an AppProject's sourceRepos, where "?" matches a
// character): no fragment and no password.
func CheckPattern(raw string) error {
	raw = strings.TrimPrefix(strings.TrimSpace(raw), "!")
	if strings.Contains(raw, "#") {
		return ErrFragment
	}
	if userinfo, ok := userinfoOf(raw); ok && strings.Contains(userinfo, ":") {
		return ErrPassword
	}
	return nil
}

// userinfoOf returns the text before "@" in the URL's authority, for URLs
// with a scheme and for SCP-like addresses.
func userinfoOf(raw string) (string, bool) {
	if _, rest, ok := strings.Cut(raw, "://"); ok {
		authority := rest
		if end := strings.IndexAny(rest, "/?#"); end >= 0 {
			authority = rest[:end]
		}
		at := strings.LastIndex(authority, "@")
		return authority[:max(at, 0)], at >= 0
	}
	// SCP-like: user@host:path, where a ":" before the "@" is a password.
	at := strings.Index(raw, "@")
	if at <= 0 {
		return "", false
	}
	if slash := strings.Index(raw, "/"); slash >= 0 && slash < at {
		return "", false
	}
	return raw[:at], true
}
