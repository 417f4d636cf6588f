package generators

import (
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
