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
	for i := range appSet.Spec.Generators {
		if e, err := entryOf(&appSet.Spec.Generators[i]); err == nil && e.usesClusters() {
			return true
		}
	}
	return false
}

func (e *entry) usesClusters() bool {
	switch {
	case e.Clusters != nil, e.ClusterDecisionResource != nil:
		return true
	case e.Matrix != nil:
		return e.Matrix.usesClusters()
	case e.Merge != nil:
		return e.Merge.usesClusters()
	}
	return false
}

func (c *composite) usesClusters() bool {
	for i := range c.Generators {
		if c.Generators[i].usesClusters() {
			return true
		}
	}
	return false
}

// GitRepositories are the repository URLs the Git generators of appSet read,
// those that hold no parameter (at any nesting level).
func GitRepositories(appSet *v1alpha1.ApplicationSet) []string {
	var urls []string
	var walk func(e *entry)
	walk = func(e *entry) {
		switch {
		case e.Git != nil:
			if !project.Templated(e.Git.RepoURL) {
				urls = append(urls, e.Git.RepoURL)
			}
		case e.Matrix != nil:
			for i := range e.Matrix.Generators {
				walk(&e.Matrix.Generators[i])
			}
		case e.Merge != nil:
			for i := range e.Merge.Generators {
				walk(&e.Merge.Generators[i])
			}
		}
	}
	for i := range appSet.Spec.Generators {
		if e, err := entryOf(&appSet.Spec.Generators[i]); err == nil {
			walk(e)
		}
	}
	return urls
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
