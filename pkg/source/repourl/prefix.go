package repourl

import (
	"net/url"
	"strings"
)

// HasPrefix reports whether a credential template URL covers the repository
// URL: the same scheme, the same host and port, the same SSH user when the
// template names one, and the template's path equal to the repository's or
// one of its parent directories, compared case-insensitively as Argo CD's
// repo-creds matching does. Unlike a string prefix, https://git.corp does not
// cover https://git.corp.evil.io/x and https://git.corp/team does not cover
// https://git.corp/team-evil/x; a repository path with "." or ".." segments
// is covered by no template, since the server would resolve it elsewhere.
func HasPrefix(repoURL, prefix string) bool {
	repo, ok := parse(repoURL)
	if !ok {
		return false
	}
	template, ok := parse(prefix)
	if !ok {
		return false
	}
	if repo.scheme != template.scheme || !strings.EqualFold(repo.host, template.host) {
		return false
	}
	if template.user != "" && repo.user != template.user {
		return false
	}
	if hasDotSegment(repo.path) {
		return false
	}
	repoPath, templatePath := strings.ToLower(repo.path), strings.ToLower(trimSlashes(template.path))
	return templatePath == "" || repoPath == templatePath || strings.HasPrefix(repoPath, templatePath+"/")
}

// hasDotSegment reports whether an escaped path has a "." or ".." segment,
// escaped or not.
func hasDotSegment(escaped string) bool {
	path, err := url.PathUnescape(escaped)
	if err != nil {
		return true
	}
	for _, segment := range strings.Split(path, "/") {
		if segment == "." || segment == ".." {
			return true
		}
	}
	return false
}
