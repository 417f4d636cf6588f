package generators

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/template"
)

// pullRequest is one open pull (merge) request.
type pullRequest struct {
	Number               int64
	Title, Author        string
	Branch, TargetBranch string
	HeadSHA              string
	Labels               []string
}

// pullRequest yields one parameter set per open pull request that passes
// the filters, with Argo CD's parameters: number, title, branch,
// branch_slug, target_branch, target_branch_slug, head_sha, head_short_sha,
// head_short_sha_7, author, labels (goTemplate only, as in Argo CD) and
// values.
func (r *run) pullRequest(ctx context.Context, generator *v1alpha1.PullRequestGenerator) ([]map[string]any, error) {
	filters, err := compilePullRequestFilters(generator.Filters)
	if err != nil {
		return nil, err
	}
	pulls, err := r.listPullRequests(ctx, generator)
	if errors.Is(err, errRemoteNotFound) && generator.ContinueOnRepoNotFoundError {
		return []map[string]any{}, nil
	}
	if err != nil {
		return nil, err
	}
	params := []map[string]any{}
	for _, pull := range pulls {
		if !filters.pass(pull) {
			continue
		}
		set := map[string]any{
			"number":             strconv.FormatInt(pull.Number, 10),
			"title":              pull.Title,
			"branch":             pull.Branch,
			"branch_slug":        branchSlug(pull.Branch),
			"target_branch":      pull.TargetBranch,
			"target_branch_slug": branchSlug(pull.TargetBranch),
			"head_sha":           pull.HeadSHA,
			"head_short_sha":     prefix(pull.HeadSHA, 8),
			"head_short_sha_7":   prefix(pull.HeadSHA, 7),
			"author":             pull.Author,
		}
		if r.goTemplate() {
			labels := make([]any, len(pull.Labels))
			for i, label := range pull.Labels {
				labels[i] = label
			}
			set["labels"] = labels
		}
		if err := appendValues(generator.Values, set, r.renderer); err != nil {
			return nil, fmt.Errorf("pull request %d: %w", pull.Number, err)
		}
		params = append(params, set)
	}
	return params, nil
}

// branchSlug is Argo CD's branch_slug: a DNS-label-friendly form of the
// branch of at most 50 characters, underscores turned into dashes.
func branchSlug(branch string) string {
	return template.Slugify(50, true, strings.ReplaceAll(strings.ToLower(branch), "_", "-"))
}

// pullRequestFilter is one compiled filter; a nil expression checks nothing.
type pullRequestFilter struct{ branch, targetBranch, title *regexp.Regexp }

type pullRequestFilters []pullRequestFilter

func compilePullRequestFilters(filters []v1alpha1.PullRequestGeneratorFilter) (pullRequestFilters, error) {
	compiled := make(pullRequestFilters, 0, len(filters))
	for i, filter := range filters {
		var f pullRequestFilter
		for _, field := range []struct {
			name       string
			expression *string
			into       **regexp.Regexp
		}{
			{"branchMatch", filter.BranchMatch, &f.branch},
			{"targetBranchMatch", filter.TargetBranchMatch, &f.targetBranch},
			{"titleMatch", filter.TitleMatch, &f.title},
		} {
			if field.expression == nil {
				continue
			}
			expression, err := regexp.Compile(*field.expression)
			if err != nil {
				return nil, fmt.Errorf("filters[%d].%s: %w", i, field.name, err)
			}
			*field.into = expression
		}
		compiled = append(compiled, f)
	}
	return compiled, nil
}

// pass tells whether some filter accepts the pull request (all do when
// there are none).
func (filters pullRequestFilters) pass(pull pullRequest) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if (f.branch == nil || f.branch.MatchString(pull.Branch)) &&
			(f.targetBranch == nil || f.targetBranch.MatchString(pull.TargetBranch)) &&
			(f.title == nil || f.title.MatchString(pull.Title)) {
			return true
		}
	}
	return false
}

// hasLabels tells whether have holds every label of want.
func hasLabels(have, want []string) bool {
	for _, label := range want {
		if !slices.Contains(have, label) {
			return false
		}
	}
	return true
}

// listPullRequests reads the open pull requests of the provider the
// generator sets, keeping those with all the configured labels.
func (r *run) listPullRequests(ctx context.Context, generator *v1alpha1.PullRequestGenerator) ([]pullRequest, error) {
	switch {
	case generator.Github != nil:
		return r.githubPulls(ctx, generator.Github)
	case generator.Gitlab != nil:
		return r.gitlabPulls(ctx, generator.Gitlab)
	case generator.Gitea != nil:
		return r.giteaPulls(ctx, generator.Gitea)
	case generator.BitbucketServer != nil:
		return r.bitbucketServerPulls(ctx, generator.BitbucketServer)
	case generator.Bitbucket != nil:
		return r.bitbucketCloudPulls(ctx, generator.Bitbucket)
	case generator.AzureDevOps != nil:
		return r.azureDevOpsPulls(ctx, generator.AzureDevOps)
	}
	return nil, fmt.Errorf("no pull request provider is set")
}

// githubPull is a pull request of GitHub and Gitea alike.
type githubPull struct {
	Number int64  `json:"number"`
	Title  string `json:"title"`
	Head   struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	} `json:"head"`
	Base struct {
		Ref string `json:"ref"`
	} `json:"base"`
	Labels []struct {
		Name string `json:"name"`
	} `json:"labels"`
	User struct {
		Login string `json:"login"`
	} `json:"user"`
}

// githubStylePulls lists the open pull requests of GitHub and Gitea, which
// share their paths and shapes.
func githubStylePulls(ctx context.Context, r *remote, owner, repo string, labels []string, query url.Values) ([]pullRequest, error) {
	query.Set("state", "open")
	listed, err := linkPaged[githubPull](ctx, r, r.url("/repos/"+esc(owner)+"/"+esc(repo)+"/pulls", query))
	if err != nil {
		return nil, err
	}
	pulls := []pullRequest{}
	for _, pull := range listed {
		names := make([]string, 0, len(pull.Labels))
		for _, label := range pull.Labels {
			names = append(names, label.Name)
		}
		if !hasLabels(names, labels) {
			continue
		}
		pulls = append(pulls, pullRequest{
			Number: pull.Number, Title: pull.Title, Author: pull.User.Login,
			Branch: pull.Head.Ref, TargetBranch: pull.Base.Ref, HeadSHA: pull.Head.SHA, Labels: names,
		})
	}
	return pulls, nil
}

func (r *run) githubPulls(ctx context.Context, config *v1alpha1.PullRequestGeneratorGithub) ([]pullRequest, error) {
	remote, err := r.connect(ctx, connection{name: "GitHub", field: "github", api: orDefault(config.API, defaultGithubAPI),
		tokenRef: config.TokenRef, tokenField: "github.tokenRef", appSecretName: config.AppSecretName, auth: bearerAuth("Bearer")})
	if err != nil {
		return nil, err
	}
	return githubStylePulls(ctx, remote, config.Owner, config.Repo, config.Labels, url.Values{"per_page": {"100"}})
}

func (r *run) giteaPulls(ctx context.Context, config *v1alpha1.PullRequestGeneratorGitea) ([]pullRequest, error) {
	remote, err := r.connect(ctx, connection{name: "Gitea", field: "gitea", api: config.API, path: "/api/v1",
		tokenRef: config.TokenRef, tokenField: "gitea.tokenRef", insecure: config.Insecure, auth: bearerAuth("token")})
	if err != nil {
		return nil, err
	}
	return githubStylePulls(ctx, remote, config.Owner, config.Repo, config.Labels, url.Values{"limit": {"50"}})
}

func (r *run) gitlabPulls(ctx context.Context, config *v1alpha1.PullRequestGeneratorGitLab) ([]pullRequest, error) {
	remote, err := r.connect(ctx, connection{name: "GitLab", field: "gitlab", api: orDefault(config.API, defaultGitlabAPI), path: "/api/v4",
		tokenRef: config.TokenRef, tokenField: "gitlab.tokenRef", insecure: config.Insecure, caRef: config.CARef, auth: privateToken})
	if err != nil {
		return nil, err
	}
	query := url.Values{}
	if len(config.Labels) > 0 {
		query.Set("labels", strings.Join(config.Labels, ","))
	}
	if config.PullRequestState != "" {
		query.Set("state", config.PullRequestState)
	}
	listed, err := gitlabPaged[struct {
		IID          int64    `json:"iid"`
		Title        string   `json:"title"`
		SourceBranch string   `json:"source_branch"`
		TargetBranch string   `json:"target_branch"`
		SHA          string   `json:"sha"`
		Labels       []string `json:"labels"`
		Author       struct {
			Username string `json:"username"`
		} `json:"author"`
	}](ctx, remote, "/projects/"+esc(config.Project)+"/merge_requests", query)
	if err != nil {
		return nil, err
	}
	pulls := make([]pullRequest, 0, len(listed))
	for _, mr := range listed {
		pulls = append(pulls, pullRequest{
			Number: mr.IID, Title: mr.Title, Author: mr.Author.Username,
			Branch: mr.SourceBranch, TargetBranch: mr.TargetBranch, HeadSHA: mr.SHA, Labels: mr.Labels,
		})
	}
	return pulls, nil
}

func (r *run) bitbucketServerPulls(ctx context.Context, config *v1alpha1.PullRequestGeneratorBitbucketServer) ([]pullRequest, error) {
	if err := r.allowedSCM(config.API); err != nil {
		return nil, err
	}
	auth, err := r.bitbucketServerAuth(ctx, config.BasicAuth, config.BearerToken, "bitbucketServer")
	if err != nil {
		return nil, err
	}
	client, err := r.httpClient(ctx, config.Insecure, config.CARef, "bitbucketServer")
	if err != nil {
		return nil, err
	}
	remote, err := newRemote("Bitbucket Server", bitbucketServerREST(config.API), client, auth)
	if err != nil {
		return nil, err
	}
	type ref struct {
		DisplayID    string `json:"displayId"`
		LatestCommit string `json:"latestCommit"`
	}
	listed, err := bitbucketServerPaged[struct {
		ID      int64  `json:"id"`
		Title   string `json:"title"`
		FromRef ref    `json:"fromRef"`
		ToRef   ref    `json:"toRef"`
		Author  struct {
			User struct {
				Name string `json:"name"`
			} `json:"user"`
		} `json:"author"`
	}](ctx, remote, "/api/1.0/projects/"+esc(config.Project)+"/repos/"+esc(config.Repo)+"/pull-requests", url.Values{"state": {"OPEN"}})
	if err != nil {
		return nil, err
	}
	pulls := make([]pullRequest, 0, len(listed))
	for _, pull := range listed {
		pulls = append(pulls, pullRequest{
			Number: pull.ID, Title: pull.Title, Author: pull.Author.User.Name,
			Branch: pull.FromRef.DisplayID, TargetBranch: pull.ToRef.DisplayID, HeadSHA: pull.FromRef.LatestCommit, Labels: []string{},
		})
	}
	return pulls, nil
}

func (r *run) bitbucketCloudPulls(ctx context.Context, config *v1alpha1.PullRequestGeneratorBitbucket) ([]pullRequest, error) {
	api := orDefault(config.API, r.generators.bitbucketCloudAPI)
	if err := r.allowedSCM(api); err != nil {
		return nil, err
	}
	var auth func(*http.Request)
	switch {
	case config.BearerToken != nil:
		token, err := r.secretValue(ctx, config.BearerToken.TokenRef, "bitbucket.bearerToken.tokenRef")
		if err != nil {
			return nil, err
		}
		auth = bearer("Bearer", token)
	case config.BasicAuth != nil:
		password, err := r.secretValue(ctx, config.BasicAuth.PasswordRef, "bitbucket.basicAuth.passwordRef")
		if err != nil {
			return nil, err
		}
		auth = basic(config.BasicAuth.Username, password)
	}
	remote, err := newRemote("Bitbucket Cloud", api, r.generators.sources.HTTPClient, auth)
	if err != nil {
		return nil, err
	}
	type end struct {
		Branch struct {
			Name string `json:"name"`
		} `json:"branch"`
		Commit struct {
			Hash string `json:"hash"`
		} `json:"commit"`
	}
	listed, err := bitbucketCloudPaged[struct {
		ID          int64  `json:"id"`
		Title       string `json:"title"`
		Source      end    `json:"source"`
		Destination end    `json:"destination"`
		Author      struct {
			Nickname string `json:"nickname"`
		} `json:"author"`
	}](ctx, remote, remote.url("/repositories/"+esc(config.Owner)+"/"+esc(config.Repo)+"/pullrequests", url.Values{"pagelen": {"50"}, "state": {"OPEN"}}))
	if err != nil {
		return nil, err
	}
	pulls := make([]pullRequest, 0, len(listed))
	for _, pull := range listed {
		pulls = append(pulls, pullRequest{
			Number: pull.ID, Title: pull.Title, Author: pull.Author.Nickname,
			Branch: pull.Source.Branch.Name, TargetBranch: pull.Destination.Branch.Name, HeadSHA: pull.Source.Commit.Hash, Labels: []string{},
		})
	}
	return pulls, nil
}

func (r *run) azureDevOpsPulls(ctx context.Context, config *v1alpha1.PullRequestGeneratorAzureDevOps) ([]pullRequest, error) {
	remote, err := r.connect(ctx, connection{name: "Azure DevOps", field: "azureDevOps", api: orDefault(config.API, defaultAzureDevOpsAPI),
		tokenRef: config.TokenRef, tokenField: "azuredevops.tokenRef", auth: basicToken})
	if err != nil {
		return nil, err
	}
	listed, err := azurePaged[struct {
		PullRequestID int64  `json:"pullRequestId"`
		Title         string `json:"title"`
		SourceRefName string `json:"sourceRefName"`
		TargetRefName string `json:"targetRefName"`
		LastMerge     struct {
			CommitID string `json:"commitId"`
		} `json:"lastMergeSourceCommit"`
		Labels []struct {
			Name string `json:"name"`
		} `json:"labels"`
		CreatedBy struct {
			UniqueName string `json:"uniqueName"`
		} `json:"createdBy"`
	}](ctx, remote, "/"+esc(config.Organization)+"/"+esc(config.Project)+"/_apis/git/repositories/"+esc(config.Repo)+"/pullrequests",
		url.Values{"searchCriteria.status": {"active"}, "api-version": {azureAPIVersion}})
	if err != nil {
		return nil, err
	}
	pulls := []pullRequest{}
	for _, pull := range listed {
		names := make([]string, 0, len(pull.Labels))
		for _, label := range pull.Labels {
			names = append(names, label.Name)
		}
		if !hasLabels(names, config.Labels) {
			continue
		}
		pulls = append(pulls, pullRequest{
			Number: pull.PullRequestID, Title: pull.Title, Author: pull.CreatedBy.UniqueName,
			Branch: strings.TrimPrefix(pull.SourceRefName, "refs/heads/"), TargetBranch: strings.TrimPrefix(pull.TargetRefName, "refs/heads/"),
			HeadSHA: pull.LastMerge.CommitID, Labels: names,
		})
	}
	return pulls, nil
}
