package generators

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/template"
)

// scmRepo is one repository (at one branch) an SCM provider lists.
type scmRepo struct {
	Organization, Repository, RepositoryID string
	URL, Branch, SHA                       string
	Labels                                 []string
	// handle is what the provider needs to address the repository again
	// (a project ID, an owner/name path).
	handle string
}

// scmService is one SCM provider API.
type scmService interface {
	// repos lists the repositories with the clone URL of cloneProtocol and
	// their default branch (without SHA).
	repos(ctx context.Context, cloneProtocol string) ([]scmRepo, error)
	// branches lists the default branch, or all branches, of repo, with SHAs.
	branches(ctx context.Context, repo scmRepo) ([]scmRepo, error)
	// hasPath tells whether path exists in repo at its branch.
	hasPath(ctx context.Context, repo scmRepo, path string) (bool, error)
}

// scmProvider yields one parameter set per repository and branch the SCM
// provider lists that passes the filters, with Argo CD's parameters:
// organization, repository, repository_id, url, branch, branchNormalized,
// sha, short_sha, short_sha_7, labels (comma-separated) and values.
func (r *run) scmProvider(ctx context.Context, generator *v1alpha1.SCMProviderGenerator) ([]map[string]any, error) {
	filters, err := compileSCMFilters(generator.Filters)
	if err != nil {
		return nil, err
	}
	service, err := r.scmService(ctx, generator)
	if err != nil {
		return nil, err
	}
	repos, err := service.repos(ctx, generator.CloneProtocol)
	if err != nil {
		return nil, err
	}
	params := []map[string]any{}
	for _, repo := range repos {
		if !filters.repoMayPass(repo) {
			continue
		}
		branches, err := service.branches(ctx, repo)
		if err != nil {
			return nil, err
		}
		for _, branch := range branches {
			pass, err := filters.pass(ctx, service, branch)
			if err != nil {
				return nil, err
			}
			if !pass {
				continue
			}
			set := map[string]any{
				"organization":     branch.Organization,
				"repository":       branch.Repository,
				"repository_id":    branch.RepositoryID,
				"url":              branch.URL,
				"branch":           branch.Branch,
				"branchNormalized": template.Normalize(branch.Branch),
				"sha":              branch.SHA,
				"short_sha":        prefix(branch.SHA, 8),
				"short_sha_7":      prefix(branch.SHA, 7),
				"labels":           strings.Join(branch.Labels, ","),
			}
			if err := appendValues(generator.Values, set, r.renderer); err != nil {
				return nil, fmt.Errorf("repository %s: %w", branch.Repository, err)
			}
			params = append(params, set)
		}
	}
	return params, nil
}

// prefix is the first n bytes of s, or s.
func prefix(s string, n int) string {
	return s[:min(len(s), n)]
}

// scmService builds the provider the generator sets, with its credentials
// read from the ApplicationSet's namespace.
func (r *run) scmService(ctx context.Context, generator *v1alpha1.SCMProviderGenerator) (scmService, error) {
	switch {
	case generator.Github != nil:
		return r.githubSCM(ctx, generator.Github)
	case generator.Gitlab != nil:
		return r.gitlabSCM(ctx, generator.Gitlab)
	case generator.Gitea != nil:
		return r.giteaSCM(ctx, generator.Gitea)
	case generator.BitbucketServer != nil:
		return r.bitbucketServerSCM(ctx, generator.BitbucketServer)
	case generator.Bitbucket != nil:
		return r.bitbucketCloudSCM(ctx, generator.Bitbucket)
	case generator.AzureDevOps != nil:
		return r.azureDevOpsSCM(ctx, generator.AzureDevOps)
	case generator.AWSCodeCommit != nil:
		return r.codeCommitSCM(ctx, generator.AWSCodeCommit)
	}
	return nil, fmt.Errorf("no SCM provider is set")
}

// scmFilter is one compiled filter; a nil expression checks nothing.
type scmFilter struct {
	repository, label, branch *regexp.Regexp
	pathsExist, pathsAbsent   []string
}

type scmFilters []scmFilter

func compileSCMFilters(filters []v1alpha1.SCMProviderGeneratorFilter) (scmFilters, error) {
	compiled := make(scmFilters, 0, len(filters))
	for i, filter := range filters {
		var f scmFilter
		var err error
		for _, field := range []struct {
			name       string
			expression *string
			into       **regexp.Regexp
		}{
			{"repositoryMatch", filter.RepositoryMatch, &f.repository},
			{"labelMatch", filter.LabelMatch, &f.label},
			{"branchMatch", filter.BranchMatch, &f.branch},
		} {
			if field.expression == nil {
				continue
			}
			if *field.into, err = regexp.Compile(*field.expression); err != nil {
				return nil, fmt.Errorf("filters[%d].%s: %w", i, field.name, err)
			}
		}
		f.pathsExist, f.pathsAbsent = filter.PathsExist, filter.PathsDoNotExist
		compiled = append(compiled, f)
	}
	return compiled, nil
}

// repoMayPass checks the repository-level parts of the filters before the
// branches are listed: some filter must accept the name and labels.
func (filters scmFilters) repoMayPass(repo scmRepo) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if f.matchesRepo(repo) {
			return true
		}
	}
	return false
}

func (f scmFilter) matchesRepo(repo scmRepo) bool {
	if f.repository != nil && !f.repository.MatchString(repo.Repository) {
		return false
	}
	if f.label != nil {
		for _, label := range repo.Labels {
			if f.label.MatchString(label) {
				return true
			}
		}
		return false
	}
	return true
}

// pass tells whether some filter accepts the repository at its branch; the
// filters are ORed, the checks of one filter ANDed, as in Argo CD.
func (filters scmFilters) pass(ctx context.Context, service scmService, repo scmRepo) (bool, error) {
	if len(filters) == 0 {
		return true, nil
	}
	for _, f := range filters {
		pass, err := f.pass(ctx, service, repo)
		if err != nil || pass {
			return pass, err
		}
	}
	return false, nil
}

func (f scmFilter) pass(ctx context.Context, service scmService, repo scmRepo) (bool, error) {
	if !f.matchesRepo(repo) || f.branch != nil && !f.branch.MatchString(repo.Branch) {
		return false, nil
	}
	for _, path := range f.pathsExist {
		found, err := service.hasPath(ctx, repo, strings.Trim(path, "/"))
		if err != nil || !found {
			return false, err
		}
	}
	for _, path := range f.pathsAbsent {
		found, err := service.hasPath(ctx, repo, strings.Trim(path, "/"))
		if err != nil || found {
			return false, err
		}
	}
	return true, nil
}

// cloneURL picks the URL of cloneProtocol: ssh by default when the provider
// offers it, as in Argo CD.
func cloneURL(provider, cloneProtocol, sshURL, httpsURL string) (string, error) {
	switch cloneProtocol {
	case "", "ssh":
		if sshURL != "" || cloneProtocol == "ssh" {
			return sshURL, nil
		}
		return httpsURL, nil
	case "https":
		return httpsURL, nil
	}
	return "", fmt.Errorf("%s: unknown cloneProtocol %q (ssh or https)", provider, cloneProtocol)
}
