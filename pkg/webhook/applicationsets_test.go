package webhook

import (
	"testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestAPushConcernsGitGeneratorsReadingThePushedRef(t *testing.T) {
	push := Push{Provider: "github", Ref: "refs/heads/main", TouchedHead: true,
		RepoURLs: []string{"https://git.example.com/team/apps", "git@git.example.com:team/apps.git"}}
	tests := []struct {
		name      string
		generator v1alpha1.GitGenerator
		want      bool
	}{
		{"the same repository and branch", v1alpha1.GitGenerator{RepoURL: "https://git.example.com/team/apps.git", Revision: "main"}, true},
		{"the repository spelled for SSH, in another case", v1alpha1.GitGenerator{RepoURL: "ssh://git@git.example.com/Team/Apps", Revision: "refs/heads/main"}, true},
		{"no revision follows the default branch", v1alpha1.GitGenerator{RepoURL: "https://git.example.com/team/apps"}, true},
		{"HEAD follows the default branch", v1alpha1.GitGenerator{RepoURL: "https://git.example.com/team/apps", Revision: "HEAD"}, true},
		{"a templated revision may be any", v1alpha1.GitGenerator{RepoURL: "https://git.example.com/team/apps", Revision: "{{.branch}}"}, true},
		{"another branch", v1alpha1.GitGenerator{RepoURL: "https://git.example.com/team/apps", Revision: "develop"}, false},
		{"another repository", v1alpha1.GitGenerator{RepoURL: "https://git.example.com/team/apps-config", Revision: "main"}, false},
		{"another host", v1alpha1.GitGenerator{RepoURL: "https://mirror.example.com/team/apps", Revision: "main"}, false},
		{"a templated repository is left to its requeue", v1alpha1.GitGenerator{RepoURL: "{{.repo}}", Revision: "main"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newPushMatcher(push).gitGeneratorReadsPushedRef(&tt.generator); got != tt.want {
				t.Errorf("gitGeneratorReadsPushedRef(%+v) = %v, want %v", tt.generator, got, tt.want)
			}
		})
	}
	t.Run("a push to another branch does not concern generators following the default branch", func(t *testing.T) {
		feature := push
		feature.Ref, feature.TouchedHead = "refs/heads/feature", false
		if newPushMatcher(feature).gitGeneratorReadsPushedRef(&v1alpha1.GitGenerator{RepoURL: "https://git.example.com/team/apps"}) {
			t.Error("a generator without revision was matched by a push to a branch that is not the default")
		}
	})
}

func TestAPullRequestEventConcernsPullRequestGeneratorsOfItsRepository(t *testing.T) {
	githubPR := PullRequest{Provider: "github", Action: "synchronize", Number: 7,
		RepoURLs: []string{"https://github.com/capstan/app", "git@github.com:capstan/app.git"}}
	enterprisePR := PullRequest{Provider: "github", Action: "opened", Number: 7,
		RepoURLs: []string{"https://ghe.example.com/capstan/app"}}
	gitlabMR := PullRequest{Provider: "gitlab", Action: "update", Number: 7, ProjectID: "15",
		RepoURLs: []string{"https://gitlab.example.com/group/app", "git@gitlab.example.com:group/app.git"}}
	gh := func(api, owner, repo string) *v1alpha1.PullRequestGenerator {
		return &v1alpha1.PullRequestGenerator{Github: &v1alpha1.PullRequestGeneratorGithub{API: api, Owner: owner, Repo: repo}}
	}
	gl := func(api, project string) *v1alpha1.PullRequestGenerator {
		return &v1alpha1.PullRequestGenerator{Gitlab: &v1alpha1.PullRequestGeneratorGitLab{API: api, Project: project}}
	}
	tests := []struct {
		name      string
		pr        PullRequest
		generator *v1alpha1.PullRequestGenerator
		want      bool
	}{
		{"GitHub: the same owner and repository, any case", githubPR, gh("", "Capstan", "APP"), true},
		{"GitHub: api.github.com stands for github.com", githubPR, gh("https://api.github.com/", "capstan", "app"), true},
		{"GitHub: another repository", githubPR, gh("", "capstan", "other"), false},
		{"GitHub: another owner", githubPR, gh("", "someone", "app"), false},
		{"GitHub: an Enterprise server's API", enterprisePR, gh("https://ghe.example.com/api/v3", "capstan", "app"), true},
		{"GitHub: github.com is not an Enterprise server", enterprisePR, gh("", "capstan", "app"), false},
		{"GitHub: a templated repository is left to its requeue", githubPR, gh("", "capstan", "{{.repo}}"), false},
		{"GitHub: a GitLab generator", githubPR, gl("https://github.com/", "capstan/app"), false},
		{"GitLab: the target project's numeric ID", gitlabMR, gl("https://gitlab.example.com/", "15"), true},
		{"GitLab: the project's path", gitlabMR, gl("https://gitlab.example.com", "group/app"), true},
		{"GitLab: another project ID", gitlabMR, gl("https://gitlab.example.com/", "16"), false},
		{"GitLab: the same ID on another server", gitlabMR, gl("", "15"), false},
		{"GitLab: a GitHub generator", gitlabMR, gh("https://gitlab.example.com/", "group", "app"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newPullRequestMatcher(tt.pr).lists(tt.generator); got != tt.want {
				t.Errorf("lists = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOnlyPullRequestActionsThatChangeTheListRefresh(t *testing.T) {
	tests := []struct {
		provider, action string
		want             bool
	}{
		{"github", "opened", true},
		{"github", "synchronize", true},
		{"github", "closed", true},
		{"github", "labeled", true},
		{"github", "edited", false},
		{"github", "review_requested", false},
		{"gitlab", "open", true},
		{"gitlab", "update", true},
		{"gitlab", "merge", true},
		{"gitlab", "approved", false},
		{"gogs", "opened", false},
	}
	for _, tt := range tests {
		if got := refreshingAction(PullRequest{Provider: tt.provider, Action: tt.action}); got != tt.want {
			t.Errorf("%s %s refreshes: %v, want %v", tt.provider, tt.action, got, tt.want)
		}
	}
}
