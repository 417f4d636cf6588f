package git

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/sync/singleflight"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/source/credentials"
)

// refListing is the result of one ls-remote: every advertised ref.
type refListing struct {
	// refs maps full ref names to what they point at (the tag object for an
	// annotated tag).
	refs map[string]plumbing.Hash
	// peeled maps annotated tag names to the commit they point at.
	peeled map[string]plumbing.Hash
	// head is the HEAD's hash; headTarget the branch it points to, if the
	// server said so.
	head       plumbing.Hash
	headTarget string
	listedAt   time.Time

	// resolved remembers what revisions resolved to in this listing (which
	// does not change once built): the Applications that track one branch
	// resolve it once per listing, not once per refresh each.
	resolved sync.Map // revision string -> listingMatch
	// remembered counts the entries of resolved, which stop at
	// maxRememberedRevisions (revisions come from Applications' specs).
	remembered atomic.Int32
}

// maxRememberedRevisions bounds the revisions a listing remembers.
const maxRememberedRevisions = 1024

// listingMatch is a revision resolved in a listing: semver tells that it
// matched as a semver constraint; ok is false when it matched nothing.
type listingMatch struct {
	revision Revision
	semver   bool
	ok       bool
}

// commitOf returns the commit a ref points to, peeling annotated tags.
func (l *refListing) commitOf(name string) (plumbing.Hash, bool) {
	if hash, ok := l.peeled[name]; ok {
		return hash, true
	}
	hash, ok := l.refs[name]
	return hash, ok
}

// advertises reports whether hash is the value of any advertised ref.
func (l *refListing) advertises(hash plumbing.Hash) bool {
	for _, value := range l.refs {
		if value == hash {
			return true
		}
	}
	return false
}

// refCache holds the latest listing of one repository for the TTL.
// Invalidation bumps the generation so that a listing already in flight when
// a webhook arrives is not kept as fresh.
type refCache struct {
	mu         sync.Mutex
	listing    *refListing
	generation uint64
}

func (c *refCache) fresh(now time.Time, ttl time.Duration) (*refListing, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listing != nil && now.Sub(c.listing.listedAt) < ttl {
		return c.listing, c.generation
	}
	return nil, c.generation
}

func (c *refCache) store(listing *refListing, generation uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if generation == c.generation {
		c.listing = listing
	}
}

func (c *refCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listing = nil
	c.generation++
}

// listRefs returns the repository's refs, listing them at most once per TTL
// for all callers: concurrent callers share one listing.
func (r *repository) listRefs(ctx context.Context, creds credentials.Credentials) (*refListing, error) {
	opts := r.cache.opts
	listing, generation := r.refs.fresh(opts.Now(), opts.RefTTL)
	if listing != nil {
		return listing, nil
	}
	result, err := r.shared(ctx, &r.listGroup, fmt.Sprint(generation), func(ctx context.Context) (any, error) {
		if listing, _ := r.refs.fresh(opts.Now(), opts.RefTTL); listing != nil {
			return listing, nil
		}
		listing, err := r.lsRemote(ctx, creds)
		if err != nil {
			return nil, err
		}
		r.refs.store(listing, generation)
		return listing, nil
	})
	if err != nil {
		return nil, err
	}
	return result.(*refListing), nil
}

// shared runs fn once for all concurrent callers with the same key. fn gets a
// context that no single caller can cancel (it is bounded by FetchTimeout);
// each caller stops waiting when its own context ends.
func (r *repository) shared(ctx context.Context, group *singleflight.Group, key string,
	fn func(context.Context) (any, error)) (any, error) {
	results := group.DoChan(key, func() (any, error) {
		flightCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cache.opts.FetchTimeout)
		defer cancel()
		return fn(flightCtx)
	})
	select {
	case result := <-results:
		return result.Val, result.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (r *repository) lsRemote(ctx context.Context, creds credentials.Credentials) (*refListing, error) {
	session, err := r.cache.transports.session(ctx, r.url, creds)
	if err != nil {
		return nil, err
	}
	defer func() { _ = session.Close() }()
	r.listings.Add(1)
	klog.FromContext(ctx).V(2).Info("Listing Git refs", "repo", r.displayURL())
	advertised, err := session.AdvertisedReferencesContext(ctx)
	listing := &refListing{
		refs:     map[string]plumbing.Hash{},
		peeled:   map[string]plumbing.Hash{},
		listedAt: r.cache.opts.Now(),
	}
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return listing, nil
	}
	if err != nil {
		return nil, err
	}
	for name, hash := range advertised.References {
		listing.refs[name] = hash
	}
	for name, hash := range advertised.Peeled {
		listing.peeled[name] = hash
	}
	if advertised.Head != nil {
		listing.head = *advertised.Head
	}
	for _, symref := range advertised.Capabilities.Get(capability.SymRef) {
		if source, target, ok := strings.Cut(symref, ":"); ok && source == "HEAD" {
			listing.headTarget = target
		}
	}
	return listing, nil
}
