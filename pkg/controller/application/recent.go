package application

import (
	"time"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/compare"
)

// A comparison that only a change of the Application's managed objects asks
// for — drift, a Deployment rolling out, an object someone deleted — compares
// at the revisions the last comparison resolved, as Argo CD's refresh after a
// resource event does (CompareWithRecent): the sources did not change, and
// within the listing's lifetime (--app-resync) resolving them again gives the
// same revisions anyway. So such a comparison never waits for a Git ref
// listing that just expired, and a self-heal reverts drift in the time its
// dry run and apply take. Anything else — a change of the Application (spec,
// refresh request, operation), of its project, the end of an operation, the
// periodic refresh once --app-resync has passed, a comparison that could not
// resolve its sources — resolves them again.

// resolution is a comparison that resolved an Application's sources: when it
// started, and the Application's source epoch then.
type resolution struct {
	at    time.Time
	epoch uint64
}

// defaultRecentFor bounds the use of recent revisions when periodic
// refreshes are off: the default --app-resync, the lifetime of a listing.
const defaultRecentFor = 3 * time.Minute

// sourceEpoch returns key's count of changes other than its managed objects'.
func (c *Controller) sourceEpoch(key string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sourceEpochs[key]
}

// recentRevisions sets opts to compare app at the revisions its last
// comparison resolved, when only its managed objects changed since (its source
// epoch is still sourceEpoch), that comparison is younger than --app-resync,
// and app's sources still name what it resolved (status.sync.comparedTo).
func (c *Controller) recentRevisions(key string, sourceEpoch uint64, app *v1alpha1.Application, opts *compare.Options) bool {
	c.mu.Lock()
	last, ok := c.resolved[key]
	c.mu.Unlock()
	recentFor := c.options.Resync
	if recentFor <= 0 {
		recentFor = defaultRecentFor
	}
	if !ok || last.epoch != sourceEpoch || time.Since(last.at) >= recentFor {
		return false
	}
	held, ok := compare.HeldRevisions(app)
	if !ok {
		return false
	}
	opts.Revision, opts.Revisions, opts.Recent = held.Revision, held.Revisions, true
	return true
}

// sourcesResolved records that a comparison started at started, at source
// epoch sourceEpoch, resolved key's sources: unless it could not (it failed
// before rendering, or held the last revisions through an outage), or
// something besides the managed objects changed meanwhile.
func (c *Controller) sourcesResolved(key string, sourceEpoch uint64, started time.Time, result compare.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if result.Target == nil || result.Held != nil || c.sourceEpochs[key] != sourceEpoch {
		delete(c.resolved, key)
		return
	}
	c.resolved[key] = resolution{at: started, epoch: sourceEpoch}
}
