package repourl

import (
	"net/url"
	"regexp"
	"strings"
)

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
// http(s) URLs (a username there is often a token) and passwords from any
// URL, and so are the query and fragment (signed URLs carry tokens there).
func Redact(raw string) string {
	return withoutPassword(redactParsed(raw))
}

func redactParsed(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return RedactText(raw)
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
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

// withoutPassword removes what follows the first ":" of the userinfo of
// spellings url.Parse reads otherwise (user:password@host:path).
func withoutPassword(text string) string {
	for {
		userinfo, ok := userinfoOf(text)
		username, _, hasPassword := strings.Cut(userinfo, ":")
		if !ok || !hasPassword {
			return text
		}
		text = strings.Replace(text, userinfo+"@", username+"@", 1)
	}
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
