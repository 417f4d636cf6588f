package webhook

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/refresh"
)

func TestRepositoryNamesOneRepositoryHoweverItIsSpelled(t *testing.T) {
	same := []string{
		"https://github.com/Capstan/App",
		"https://github.com/capstan/app.git",
		"https://github.com/capstan/app/",
		"http://GitHub.com:8080/capstan/app",
		"ssh://git@github.com/capstan/app.git",
		"git@github.com:capstan/app.git",
		"ssh://git@ssh.github.com:443/capstan/app",
		"ssh://git@altssh.github.com/capstan/app",
		"https://user@github.com/capstan/app",
	}
	want := mustRepository(t, same[0])
	for _, raw := range same {
		if got, ok := repository(raw); !ok || got != want {
			t.Errorf("repository(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, other := range []string{"https://github.com/capstan/app-b", "https://github.com/capstan", "https://gitlab.com/capstan/app", "https://github.com.evil.io/capstan/app", "not a url", ""} {
		if got, ok := repository(other); ok && got == want {
			t.Errorf("repository(%q) = %q, the same as %q", other, got, same[0])
		}
	}
}

func TestRevisionMatchesArgoCDsRule(t *testing.T) {
	mainPush := Push{Ref: "refs/heads/main", TouchedHead: true}
	featurePush := Push{Ref: "refs/heads/feature/x"}
	tagPush := Push{Ref: "refs/tags/v1.4.2"}
	tests := []struct {
		name           string
		targetRevision string
		push           Push
		want           bool
	}{
		{"an empty revision follows the default branch", "", mainPush, true},
		{"HEAD follows the default branch", "HEAD", mainPush, true},
		{"HEAD does not follow another branch", "HEAD", featurePush, false},
		{"a branch name matches its branch", "main", mainPush, true},
		{"a full branch ref matches its branch", "refs/heads/main", mainPush, true},
		{"a branch name with slashes matches", "feature/x", featurePush, true},
		{"another branch does not match", "main", featurePush, false},
		{"a tag name matches its tag", "v1.4.2", tagPush, true},
		{"a full tag ref matches its tag", "refs/tags/v1.4.2", tagPush, true},
		{"a semver constraint matches a satisfying tag", ">=1.4.0 <2", tagPush, true},
		{"a semver constraint does not match another tag", "~1.3", tagPush, false},
		{"a commit SHA never matches a push", "0123456789abcdef0123456789abcdef01234567", mainPush, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := revisionMatches(tt.targetRevision, tt.push); got != tt.want {
				t.Errorf("revisionMatches(%q, %s) = %v, want %v", tt.targetRevision, tt.push.Ref, got, tt.want)
			}
		})
	}
}

func TestAPushConcernsApplicationsReadingTheRefAndRefreshesThoseWhosePathsChanged(t *testing.T) {
	push := Push{
		Ref: "refs/heads/main", TouchedHead: true,
		RepoURLs:     []string{"https://git.example.com/team/monorepo"},
		ChangedFiles: []string{"apps/guestbook/deploy.yaml", "charts/common/values.yaml"},
	}
	app := func(path, revision, paths string, sources ...v1alpha1.ApplicationSource) *v1alpha1.Application {
		a := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "app", Annotations: map[string]string{}}}
		if paths != "-" {
			a.Annotations[refresh.ManifestGeneratePathsAnnotation] = paths
		}
		if len(sources) > 0 {
			a.Spec.Sources = sources
		} else {
			a.Spec.Source = &v1alpha1.ApplicationSource{RepoURL: "git@git.example.com:team/monorepo.git", Path: path, TargetRevision: revision}
		}
		return a
	}
	tests := []struct {
		name                       string
		app                        *v1alpha1.Application
		wantConcerned, wantRefresh bool
	}{
		{"an Application without paths is refreshed", app("apps/other", "main", "-"), true, true},
		{"an empty paths annotation refreshes", app("apps/other", "main", ""), true, true},
		{"a changed file under the source path refreshes", app("apps/guestbook", "main", "."), true, true},
		{"no changed file under the source path only concerns", app("apps/other", "main", "."), true, false},
		{"a path from the repository root refreshes", app("apps/other", "main", ".;/charts/common"), true, true},
		{"a relative path may climb from the source path", app("apps/other", "HEAD", "../guestbook"), true, true},
		{"a glob matches changed files", app("apps/other", "main", "/apps/*/deploy.yaml"), true, true},
		{"a file path matches itself", app("apps/other", "main", "/charts/common/values.yaml"), true, true},
		{"a sibling with a common prefix is not under the path", app("apps/guest", "main", "."), true, false},
		{"another branch is not concerned", app("apps/guestbook", "develop", "-"), false, false},
		{"another repository is not concerned", app("apps/guestbook", "main", "-",
			v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/team/other", Path: "apps/guestbook", TargetRevision: "main"}), false, false},
		{"a Helm chart of the same address is not concerned", app("", "main", "-",
			v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/team/monorepo", Chart: "guestbook", TargetRevision: "main"}), false, false},
		{"one matching source of several concerns the Application", app("", "", ".",
			v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/team/values", Ref: "values", TargetRevision: "main"},
			v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/team/monorepo.git", Path: "apps/guestbook", TargetRevision: "main"}), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			concerned, refreshes := newPushMatcher(push).concerns(tt.app)
			if concerned != tt.wantConcerned || refreshes != tt.wantRefresh {
				t.Errorf("concerns = %v, refreshes = %v; want %v, %v", concerned, refreshes, tt.wantConcerned, tt.wantRefresh)
			}
		})
	}
	t.Run("a push without a list of files refreshes every Application concerned", func(t *testing.T) {
		unlisted := push
		unlisted.ChangedFiles = nil
		if concerned, refreshes := newPushMatcher(unlisted).concerns(app("apps/other", "main", ".")); !concerned || !refreshes {
			t.Errorf("concerns = %v, refreshes = %v; want both", concerned, refreshes)
		}
	})
}
