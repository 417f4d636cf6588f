// Package git keeps one persistent bare repository per repository and
// credential identity under a cache directory and serves commits from it as
// read-only filesystems.
//
// A repository is keyed by its normalized URL (repourl.Normalize), which is
// also the address fetched, whatever spelling a caller used, and by the
// identity of the credentials presented (credentials.Credentials.Identity):
// callers presenting other credentials, or none, get their own ref listing
// and object store and go to the server themselves, so that nothing fetched
// with one team's credentials is served to another. Callers with the same
// credentials share everything.
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

	"capstan.dev/capstan/pkg/lru"
	"capstan.dev/capstan/pkg/source/credentials"
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
	// DefaultMaxBlobBytes bounds one file read from a commit.
	DefaultMaxBlobBytes = 32 << 20
	// DefaultMaxRefListBytes bounds one ref advertisement over HTTP.
	DefaultMaxRefListBytes = 64 << 20
	// DefaultMaxPackBytes bounds one pack received over HTTP.
	DefaultMaxPackBytes = 4 << 30
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
	// MaxBlobBytes bounds one file (or symlink target) read from a Tree;
	// zero means DefaultMaxBlobBytes.
	MaxBlobBytes int64
	// MaxRefListBytes bounds one ref advertisement and MaxPackBytes one pack
	// received over HTTP; zero means the defaults.
	MaxRefListBytes int64
	MaxPackBytes    int64
}

// Cache is the set of bare repositories under one directory. It is safe for
// concurrent use; one Cache must own its directory within a process.
type Cache struct {
	dir        string
	opts       Options
	objects    cache.Object
	transports *transports

	// dirs are decoded tree objects by repository and hash (see Tree.loadDir).
	dirs *lru.Cache[*dirNode]

	mu    sync.Mutex
	repos map[repositoryKey]*repository
	// pushes are the webhook pushes the listings were brought up to date for.
	pushes pushLog
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
	setDefault(&opts.ObjectCacheBytes, DefaultObjectCacheBytes)
	setDefault(&opts.MaxBlobBytes, DefaultMaxBlobBytes)
	setDefault(&opts.MaxRefListBytes, DefaultMaxRefListBytes)
	setDefault(&opts.MaxPackBytes, DefaultMaxPackBytes)
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
		transports: newTransports(opts),
		dirs:       lru.NewWithCost(dirCacheBytes, dirNodeCost),
		repos:      map[repositoryKey]*repository{},
	}, nil
}

// setDefault replaces a value that is not positive.
func setDefault(value *int64, fallback int64) {
	if *value <= 0 {
		*value = fallback
	}
}

// repositoryKey names one bare repository: a normalized URL and the identity
// of the credentials it is fetched with.
type repositoryKey struct {
	url      string
	identity string
}

// Stats counts the network operations done for one repository.
type Stats struct {
	// RefListings is the number of ref listings (ls-remote) sent.
	RefListings int64
	// Fetches is the number of fetches (upload-pack requests) sent.
	Fetches int64
}

// Stats returns the counters of repoURL, summed over every credential
// identity (zero for an unknown repository).
func (c *Cache) Stats(repoURL string) Stats {
	var stats Stats
	for _, repo := range c.repositoriesOf(repoURL) {
		stats.RefListings += repo.listings.Load()
		stats.Fetches += repo.fetches.Load()
	}
	return stats
}

// Invalidate drops the cached ref listings of repoURL, for every credential
// identity, so that the next Resolve lists refs again: for webhooks and hard
// refreshes.
func (c *Cache) Invalidate(repoURL string) {
	for _, repo := range c.repositoriesOf(repoURL) {
		repo.refs.invalidate()
	}
}

// Trim lets go of the decoded objects and directories the Cache holds for
// speed (the packs and ref listings stay): memory.Releaser calls it once the
// controllers have had nothing to do for a while. Reading a file later decodes
// its objects from the pack again.
func (c *Cache) Trim() {
	c.objects.Clear()
	c.dirs.Clear()
	c.mu.Lock()
	repos := make([]*repository, 0, len(c.repos))
	for _, repo := range c.repos {
		repos = append(repos, repo)
	}
	c.mu.Unlock()
	for _, repo := range repos {
		repo.present.Clear()
	}
}

// repositoriesOf returns the open repositories of repoURL, one per
// credential identity.
func (c *Cache) repositoriesOf(repoURL string) []*repository {
	url := repourl.Normalize(repoURL)
	c.mu.Lock()
	defer c.mu.Unlock()
	var repos []*repository
	for key, repo := range c.repos {
		if key.url == url {
			repos = append(repos, repo)
		}
	}
	return repos
}

// Close releases open files of every repository. The Cache must not be used
// afterwards.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, repo := range c.repos {
		repo.close()
	}
	c.repos = map[repositoryKey]*repository{}
	return nil
}

// repository returns the state of repoURL for the credentials used, opening
// or creating its bare repository on first use, and those credentials (with
// any userinfo of repoURL moved into them).
func (c *Cache) repository(ctx context.Context, repoURL string, creds credentials.Credentials) (*repository, credentials.Credentials, error) {
	creds = creds.WithURLUserinfo(repoURL)
	repo, err := c.open(ctx, repoURL, creds.Identity())
	return repo, creds, err
}

// open returns the repository of (repoURL, identity).
func (c *Cache) open(ctx context.Context, repoURL, identity string) (*repository, error) {
	if repoURL == "" {
		return nil, newError("open", repoURL, "", ErrRepositoryNotFound, fmt.Errorf("empty repository URL"), noCreds)
	}
	if repourl.IsFile(repoURL) && !c.opts.AllowFileURLs {
		return nil, newError("open", repoURL, "", ErrURLNotAllowed,
			fmt.Errorf("file:// URLs and local paths are refused unless allowed by the server"), noCreds)
	}
	key := repositoryKey{url: repourl.Normalize(repoURL), identity: identity}
	c.mu.Lock()
	defer c.mu.Unlock()
	if repo, ok := c.repos[key]; ok {
		return repo, nil
	}
	sum := sha256.Sum256([]byte(key.url + "\x00" + key.identity))
	dir := filepath.Join(c.dir, hex.EncodeToString(sum[:12]))
	repo, err := openRepository(ctx, dir, key.url, c)
	if err != nil {
		return nil, newError("open", repoURL, "", nil, err, noCreds)
	}
	c.repos[key] = repo
	return repo, nil
}
