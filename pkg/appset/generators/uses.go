package generators

import (
	"slices"
	"strings"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/project"
)

// UsesClusters tells whether any of appSet's generators reads the cluster
// list, so that a cluster Secret change must run them again.
func UsesClusters(appSet *v1alpha1.ApplicationSet) bool {
	uses := false
	walk(appSet, func(e *entry) {
		uses = uses || e.Clusters != nil || e.ClusterDecisionResource != nil
	})
	return uses
}

// GitRepositories are the repository URLs the Git generators of appSet read,
// those that hold no parameter (at any nesting level).
func GitRepositories(appSet *v1alpha1.ApplicationSet) []string {
	var urls []string
	for _, git := range GitGenerators(appSet) {
		if !project.Templated(git.RepoURL) {
			urls = append(urls, git.RepoURL)
		}
	}
	return urls
}

// GitGenerators are the Git generators of appSet at every nesting level
// (inside matrix and merge generators too), as written: their fields may
// hold parameters of a matrix's first child.
func GitGenerators(appSet *v1alpha1.ApplicationSet) []*v1alpha1.GitGenerator {
	return collect(appSet, func(e *entry) *v1alpha1.GitGenerator { return e.Git })
}

// PullRequestGenerators are the Pull Request generators of appSet at every
// nesting level, as written.
func PullRequestGenerators(appSet *v1alpha1.ApplicationSet) []*v1alpha1.PullRequestGenerator {
	return collect(appSet, func(e *entry) *v1alpha1.PullRequestGenerator { return e.PullRequest })
}

// collect gathers what pick finds (non-nil) in the entries of appSet.
func collect[T any](appSet *v1alpha1.ApplicationSet, pick func(e *entry) *T) []*T {
	var found []*T
	walk(appSet, func(e *entry) {
		if picked := pick(e); picked != nil {
			found = append(found, picked)
		}
	})
	return found
}

// walk calls visit on every generator entry of appSet, matrix and merge
// generators before their children; entries that cannot be decoded are
// skipped (the reconcile reports them).
func walk(appSet *v1alpha1.ApplicationSet, visit func(e *entry)) {
	var each func(e *entry)
	each = func(e *entry) {
		visit(e)
		for _, c := range []*composite{e.Matrix, e.Merge} {
			if c == nil {
				continue
			}
			for i := range c.Generators {
				each(&c.Generators[i])
			}
		}
	}
	for i := range appSet.Spec.Generators {
		if e, err := entryOf(&appSet.Spec.Generators[i]); err == nil {
			each(e)
		}
	}
}

// ListsPullRequestsOf tells whether a pull request generator of appSet (at
// any nesting level) lists the pull requests of a repository with one of
// repoPaths: paths without host or ".git" (acme/api, scm/prj/api), compared
// case-insensitively with the generator's repository (owner/repo, a GitLab
// project path, project/repo, organization/project/_git/repo), which may
// end them. Generators that hold parameters are not matched.
func ListsPullRequestsOf(appSet *v1alpha1.ApplicationSet, repoPaths []string) bool {
	var walk func(e *entry) bool
	walk = func(e *entry) bool {
		switch {
		case e.PullRequest != nil:
			return pathMatches(pullRequestRepository(e.PullRequest), repoPaths)
		case e.Matrix != nil:
			return slices.ContainsFunc(e.Matrix.Generators, func(child entry) bool { return walk(&child) })
		case e.Merge != nil:
			return slices.ContainsFunc(e.Merge.Generators, func(child entry) bool { return walk(&child) })
		}
		return false
	}
	for i := range appSet.Spec.Generators {
		if e, err := entryOf(&appSet.Spec.Generators[i]); err == nil && walk(e) {
			return true
		}
	}
	return false
}

// pullRequestRepository is the repository path a pull request generator
// reads, empty when it holds parameters.
func pullRequestRepository(generator *v1alpha1.PullRequestGenerator) string {
	var repository string
	switch {
	case generator.Github != nil:
		repository = generator.Github.Owner + "/" + generator.Github.Repo
	case generator.Gitea != nil:
		repository = generator.Gitea.Owner + "/" + generator.Gitea.Repo
	case generator.Bitbucket != nil:
		repository = generator.Bitbucket.Owner + "/" + generator.Bitbucket.Repo
	case generator.BitbucketServer != nil:
		repository = generator.BitbucketServer.Project + "/" + generator.BitbucketServer.Repo
	case generator.Gitlab != nil:
		repository = generator.Gitlab.Project
	case generator.AzureDevOps != nil:
		repository = generator.AzureDevOps.Organization + "/" + generator.AzureDevOps.Project + "/_git/" + generator.AzureDevOps.Repo
	}
	if project.Templated(repository) {
		return ""
	}
	return strings.ToLower(strings.Trim(repository, "/"))
}

func pathMatches(repository string, repoPaths []string) bool {
	if repository == "" || !strings.Contains(repository, "/") {
		return false
	}
	for _, candidate := range repoPaths {
		candidate = strings.ToLower(strings.Trim(candidate, "/"))
		if candidate == repository || strings.HasSuffix(candidate, "/"+repository) {
			return true
		}
	}
	return false
}
