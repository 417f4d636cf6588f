package webhook

import (
	"net/url"
	"path"
	"strings"

	"github.com/Masterminds/semver/v3"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/refresh"
	"capstan.dev/capstan/pkg/source/repourl"
)

// repository names one repository however a payload or an Application
// spells it: the host without port and without the ssh./altssh. prefixes
// Git hosts use for SSH, and the path, in lower case, after
// repourl.Normalize (so no scheme, user, ".git" or trailing "/"). It is what
// Argo CD's webhook compares, case-insensitively.
func repository(raw string) (string, bool) {
	u, err := url.Parse(repourl.Normalize(raw))
	if err != nil || u.Hostname() == "" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	host = strings.TrimPrefix(strings.TrimPrefix(host, "altssh."), "ssh.")
	repoPath := strings.Trim(strings.ToLower(u.EscapedPath()), "/")
	if repoPath == "" {
		return "", false
	}
	return host + "/" + repoPath, true
}

// pushMatcher decides which Applications a push concerns.
type pushMatcher struct {
	push         Push
	repositories map[string]bool
	changedFiles []string
}

func newPushMatcher(push Push) *pushMatcher {
	m := &pushMatcher{push: push, repositories: map[string]bool{}}
	for _, raw := range push.RepoURLs {
		if repo, ok := repository(raw); ok {
			m.repositories[repo] = true
		}
	}
	for _, file := range push.ChangedFiles {
		m.changedFiles = append(m.changedFiles, path.Clean("/"+file))
	}
	return m
}

// readsPushedRef reports whether a source reads the pushed repository at
// the pushed ref.
func (m *pushMatcher) readsPushedRef(source v1alpha1.ApplicationSource) bool {
	if source.Chart != "" {
		return false
	}
	repo, ok := repository(source.RepoURL)
	return ok && m.repositories[repo] && revisionMatches(source.TargetRevision, m.push)
}

// concerns reports whether the push concerns app: one of its Git sources
// reads the pushed ref. refreshes says whether it must be refreshed too: no
// manifest-generate-paths annotation, no (or an empty) list of changed
// files, or a changed file under one of its paths (Argo CD's rule).
func (m *pushMatcher) concerns(app *v1alpha1.Application) (concerned, refreshes bool) {
	sources := app.Spec.Sources
	if len(sources) == 0 && app.Spec.Source != nil {
		sources = []v1alpha1.ApplicationSource{*app.Spec.Source}
	}
	for _, source := range sources {
		if m.readsPushedRef(source) {
			concerned = true
			break
		}
	}
	if !concerned {
		return false, false
	}
	return true, len(m.changedFiles) == 0 || filesChanged(refreshPaths(app, sources), m.changedFiles)
}

// revisionMatches is Argo CD's sourceRevisionHasChanged: HEAD or nothing
// follows the default branch; refs/heads/X and refs/tags/X compare X; any
// other targetRevision must equal the pushed branch or tag name, or be a
// semver constraint the pushed name satisfies. (So a branch push also
// concerns Applications that target a tag of the same name, as in Argo CD.)
func revisionMatches(targetRevision string, push Push) bool {
	target := strings.TrimSpace(targetRevision)
	if target == "" || target == "HEAD" {
		return push.TouchedHead
	}
	for _, prefix := range []string{"refs/heads/", "refs/tags/"} {
		if short, ok := strings.CutPrefix(target, prefix); ok {
			target = short
			break
		}
	}
	revision := push.Revision()
	if revision == target {
		return true
	}
	constraint, err := semver.NewConstraint(target)
	if err != nil {
		return false
	}
	version, err := semver.NewVersion(revision)
	return err == nil && constraint.Check(version)
}

// refreshPaths are the repository paths of app's manifest-generate-paths
// annotation, rooted at "/": entries starting with "/" are from the
// repository root, others relative to each source's path. Nil when the
// annotation is missing or empty.
func refreshPaths(app *v1alpha1.Application, sources []v1alpha1.ApplicationSource) []string {
	var paths []string
	for _, item := range strings.Split(app.Annotations[refresh.ManifestGeneratePathsAnnotation], ";") {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
		case strings.HasPrefix(item, "/"):
			paths = append(paths, path.Clean(item))
		default:
			for _, source := range sources {
				paths = append(paths, path.Clean("/"+path.Join(source.Path, item)))
			}
		}
	}
	return paths
}

// filesChanged is Argo CD's AppFilesHaveChanged: true without paths;
// otherwise a changed file must be a path, lie under one, or match one as a
// glob.
func filesChanged(paths, changedFiles []string) bool {
	if len(paths) == 0 {
		return true
	}
	for _, file := range changedFiles {
		for _, p := range paths {
			if file == p || strings.HasPrefix(file, strings.TrimSuffix(p, "/")+"/") {
				return true
			}
			if matched, err := path.Match(p, file); err == nil && matched {
				return true
			}
		}
	}
	return false
}
