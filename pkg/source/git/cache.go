// Package git keeps one persistent bare repository per repository URL under a
// cache directory and serves commits from it as read-only filesystems.
//
// The flow for a render is Resolve (a revision to a commit, from a ref listing
// shared by every caller of the repository for the refresh interval), Fetch
// (only when the commit is not in the bare repository yet, one incremental
// fetch shared by concurrent callers) and Tree (an io/fs view of the commit
// read straight from the object store: no working tree, no lock, any number
// of concurrent readers of different commits).
package git

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing/cache"

	"capstan.dev/capstan/pkg/source/repourl"
)

// Defaults for Options.
const (
	// DefaultRefTTL is how long a ref listing is reused: Argo CD's revision
	// cache expiration.
	DefaultRefTTL = 3 * time.Minute
	// DefaultFetchTimeout bounds one fetch, which is shared by many callers
	// and so does not follow any single caller's context.
	DefaultFetchTimeout = 10 * time.Minute
	// DefaultObjectCacheBytes is the size of the decoded-object cache shared
	// by every repository of a Cache.
	DefaultObjectCacheBytes = 64 << 20
)

// Options tune a Cache.
type Options struct {
	// RefTTL is how long a ref listing is reused (the refresh interval);
	// zero means DefaultRefTTL.
	RefTTL time.Duration
	// Depth makes fetches shallow with that many commits; 0 fetches full
	// history. Credentials.Depth (the repository Secret's depth) overrides it.
	Depth int
	// AllowFileURLs permits file:// URLs and local paths; they are refused
	// otherwise because they read the server's own filesystem.
	AllowFileURLs bool
	// WrapTransport, when set, wraps the HTTP transport used for http(s)
	// repositories (after TLS options are applied): for metrics and tests.
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// Now is the clock for TTLs; nil means time.Now.
	Now func() time.Time
	// FetchTimeout bounds one fetch; zero means DefaultFetchTimeout.
	FetchTimeout time.Duration
	// ObjectCacheBytes sizes the decoded-object cache; zero means
	// DefaultObjectCacheBytes.
	ObjectCacheBytes int64
}

// Cache is the set of bare repositories under one directory. It is safe for
// concurrent use; one Cache must own its directory within a process.
type Cache struct {
	dir        string
	opts       Options
	objects    cache.Object
	transports *transports

	mu    sync.Mutex
	repos map[string]*repository
}

// NewCache returns a Cache storing bare repositories under dir, creating it
// if needed.
func NewCache(dir string, opts Options) (*Cache, error) {
	if opts.RefTTL <= 0 {
		opts.RefTTL = DefaultRefTTL
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = DefaultFetchTimeout
	}
	if opts.ObjectCacheBytes <= 0 {
		opts.ObjectCacheBytes = DefaultObjectCacheBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create Git cache directory %s: %w", dir, err)
	}
	return &Cache{
		dir:        dir,
		opts:       opts,
		objects:    cache.NewObjectLRU(cache.FileSize(opts.ObjectCacheBytes)),
		transports: newTransports(opts.WrapTransport),
		repos:      map[string]*repository{},
	}, nil
}

// Stats counts the network operations done for one repository.
type Stats struct {
	// RefListings is the number of ref listings (ls-remote) sent.
	RefListings int64
	// Fetches is the number of fetches (upload-pack requests) sent.
	Fetches int64
}

// Stats returns the counters of repoURL (zero for an unknown repository).
func (c *Cache) Stats(repoURL string) Stats {
	c.mu.Lock()
	repo := c.repos[repourl.Normalize(repoURL)]
	c.mu.Unlock()
	if repo == nil {
		return Stats{}
	}
	return Stats{RefListings: repo.listings.Load(), Fetches: repo.fetches.Load()}
}

// Invalidate drops the cached ref listing of repoURL so that the next Resolve
// lists refs again: for webhooks and hard refreshes.
func (c *Cache) Invalidate(repoURL string) {
	c.mu.Lock()
	repo := c.repos[repourl.Normalize(repoURL)]
	c.mu.Unlock()
	if repo != nil {
		repo.refs.invalidate()
	}
}

// Close releases open files of every repository. The Cache must not be used
// afterwards.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, repo := range c.repos {
		repo.close()
	}
	c.repos = map[string]*repository{}
	return nil
}

// repository returns the state of repoURL, opening or creating its bare
// repository on first use.
func (c *Cache) repository(ctx context.Context, repoURL string) (*repository, error) {
	if repoURL == "" {
		return nil, newError("open", repoURL, "", ErrRepositoryNotFound, fmt.Errorf("empty repository URL"), noCreds)
	}
	if repourl.IsFile(repoURL) && !c.opts.AllowFileURLs {
		return nil, newError("open", repoURL, "", ErrURLNotAllowed,
			fmt.Errorf("file:// URLs and local paths are refused unless allowed by the server"), noCreds)
	}
	key := repourl.Normalize(repoURL)
	c.mu.Lock()
	defer c.mu.Unlock()
	if repo, ok := c.repos[key]; ok {
		return repo, nil
	}
	sum := sha256.Sum256([]byte(key))
	dir := filepath.Join(c.dir, hex.EncodeToString(sum[:12]))
	repo, err := openRepository(ctx, dir, repourl.StripUserinfo(repoURL), c)
	if err != nil {
		return nil, newError("open", repoURL, "", nil, err, noCreds)
	}
	c.repos[key] = repo
	return repo, nil
}
