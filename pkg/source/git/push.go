package git

import (
	"sync"

	"github.com/go-git/go-git/v5/plumbing"

	"capstan.dev/capstan/pkg/source/repourl"
)

// maxRememberedPushes bounds the pushes remembered per repository.
const maxRememberedPushes = 256

// pushLog remembers the pushes each repository's listings were brought up
// to date for, so that the many Applications a webhook refreshes after one
// push share one new ref listing.
type pushLog struct {
	mu   sync.Mutex
	seen map[string]map[string]bool // normalized URL → push keys
	// order keeps each repository's push keys oldest first, to forget them.
	order map[string][]string
}

// firstTime records the push and reports whether it is new for url.
func (l *pushLog) firstTime(url, key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen, l.order = map[string]map[string]bool{}, map[string][]string{}
	}
	keys := l.seen[url]
	if keys == nil {
		keys = map[string]bool{}
		l.seen[url] = keys
	}
	if keys[key] {
		return false
	}
	keys[key] = true
	l.order[url] = append(l.order[url], key)
	if len(l.order[url]) > maxRememberedPushes {
		delete(keys, l.order[url][0])
		l.order[url] = l.order[url][1:]
	}
	return true
}

// InvalidateForPush brings the ref listings of repoURL up to date with a
// push a webhook reported (ref now at commit; an empty commit for a deleted
// ref): the first call for a push drops the listings that do not show it yet,
// later calls for the same push do nothing. So however many Applications a
// push refreshes, the repository's refs are listed once more (per credential
// identity), and a listing made after the push is kept.
func (c *Cache) InvalidateForPush(repoURL, ref, commit string) {
	url := repourl.Normalize(repoURL)
	if !c.pushes.firstTime(url, ref+"@"+commit) {
		return
	}
	for _, repo := range c.repositoriesOf(repoURL) {
		repo.refs.invalidateUnlessShows(ref, commit)
	}
}

// invalidateUnlessShows drops the listing unless it already has ref at commit
// (or, for an empty commit, has no ref of that name).
func (c *refCache) invalidateUnlessShows(ref, commit string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listing != nil && c.listing.shows(ref, commit) {
		return
	}
	c.listing = nil
	c.generation++
}

// shows reports whether the listing has ref at commit, peeling annotated
// tags; with an empty commit, whether it lacks ref.
func (l *refListing) shows(ref, commit string) bool {
	if commit == "" {
		_, ok := l.refs[ref]
		return !ok
	}
	hash, ok := l.commitOf(ref)
	return ok && hash == plumbing.NewHash(commit) || l.refs[ref] == plumbing.NewHash(commit)
}
