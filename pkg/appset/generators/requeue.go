package generators

import (
	"time"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Default periods after which generators that read outside sources run
// again, as in Argo CD. List never runs again by itself; Clusters runs again
// when a cluster Secret changes.
const (
	DefaultGitRequeueAfter      = 3 * time.Minute
	DefaultDuckTypeRequeueAfter = 3 * time.Minute
	DefaultSCMRequeueAfter      = 30 * time.Minute
	DefaultPluginRequeueAfter   = 30 * time.Minute
)

// RequeueAfter is the shortest period after which one of appSet's
// generators asks to run again (its requeueAfterSeconds, or its default);
// zero when none does.
func RequeueAfter(appSet *v1alpha1.ApplicationSet) time.Duration {
	var shortest time.Duration
	for i := range appSet.Spec.Generators {
		e, err := entryOf(&appSet.Spec.Generators[i])
		if err != nil {
			continue
		}
		shortest = shorter(shortest, e.requeueAfter())
	}
	return shortest
}

// shorter is the shorter of two periods, zero meaning none.
func shorter(a, b time.Duration) time.Duration {
	if a == 0 || b != 0 && b < a {
		return b
	}
	return a
}

func (e *entry) requeueAfter() time.Duration {
	switch {
	case e.Git != nil:
		return seconds(e.Git.RequeueAfterSeconds, DefaultGitRequeueAfter)
	case e.ClusterDecisionResource != nil:
		return seconds(e.ClusterDecisionResource.RequeueAfterSeconds, DefaultDuckTypeRequeueAfter)
	case e.SCMProvider != nil:
		return seconds(e.SCMProvider.RequeueAfterSeconds, DefaultSCMRequeueAfter)
	case e.PullRequest != nil:
		return seconds(e.PullRequest.RequeueAfterSeconds, DefaultSCMRequeueAfter)
	case e.Plugin != nil:
		return seconds(e.Plugin.RequeueAfterSeconds, DefaultPluginRequeueAfter)
	case e.Matrix != nil:
		return e.Matrix.requeueAfter()
	case e.Merge != nil:
		return e.Merge.requeueAfter()
	}
	return 0
}

func (c *composite) requeueAfter() time.Duration {
	var shortest time.Duration
	for i := range c.Generators {
		shortest = shorter(shortest, c.Generators[i].requeueAfter())
	}
	return shortest
}

// seconds converts requeueAfterSeconds, or returns fallback when unset; a
// non-positive value turns the periodic run off.
func seconds(value *int64, fallback time.Duration) time.Duration {
	if value == nil {
		return fallback
	}
	if *value <= 0 {
		return 0
	}
	return time.Duration(*value) * time.Second
}
