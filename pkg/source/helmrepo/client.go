// Package helmrepo fetches Helm charts from HTTP chart repositories
// (index.yaml) and from OCI registries, with Argo CD's semantics for
// targetRevision (a chart version or a semver constraint, highest match wins)
// and repository credentials.
//
// Repository indexes and OCI tag lists are fetched at most once per TTL for
// all callers; chart archives are immutable for a (repository, chart, version)
// and kept on disk, so fetching a known version again does no network work.
// Every cache is keyed by the normalized repository URL (which is also the
// address fetched) and the identity of the credentials presented
// (credentials.Credentials.Identity): what was fetched with one team's
// credentials is never served to a caller presenting other credentials, or
// none.
//
// Everything read from a server is bounded: indexes, archives and every
// other response (source.BoundedTransport), and what an archive unpacks to
// (bytes and files, subchart archives included).
package helmrepo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/repourl"
)

// Defaults for Options.
const (
	// DefaultIndexTTL is how long an index or tag list is reused.
	DefaultIndexTTL = 3 * time.Minute
	// DefaultMaxChartBytes bounds one chart archive as downloaded.
	DefaultMaxChartBytes = 20 << 20
	// DefaultMaxChartUnpackedBytes bounds what one chart archive unpacks to,
	// its subchart archives included.
	DefaultMaxChartUnpackedBytes = 100 << 20
	// DefaultMaxChartFiles bounds the entries of one chart archive, its
	// subchart archives included.
	DefaultMaxChartFiles = 10000
	// DefaultMaxIndexBytes bounds one index.yaml.
	DefaultMaxIndexBytes = 50 << 20
	// DefaultTimeout bounds one download.
	DefaultTimeout = 2 * time.Minute
)

// Options tune a Client.
type Options struct {
	// IndexTTL is how long an index.yaml or OCI tag list is reused (the
	// refresh interval); zero means DefaultIndexTTL.
	IndexTTL time.Duration
	// WrapTransport, when set, wraps every HTTP transport (after TLS options
	// are applied): for metrics and tests.
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// Now is the clock for TTLs; nil means time.Now.
	Now func() time.Time
	// MaxChartBytes and MaxIndexBytes bound downloads; zero means the defaults.
	MaxChartBytes int64
	MaxIndexBytes int64
	// MaxChartUnpackedBytes and MaxChartFiles bound what a chart archive
	// unpacks to; zero means the defaults.
	MaxChartUnpackedBytes int64
	MaxChartFiles         int
	// Timeout bounds one download, which may be shared by many callers;
	// zero means DefaultTimeout.
	Timeout time.Duration
}

// FetchOptions are per-source options of a fetch.
type FetchOptions struct {
	// PassCredentials sends the repository's credentials to chart URLs on
	// another host too (Argo CD's helm.passCredentials); by default they go
	// only to the repository's host.
	PassCredentials bool
}

// Stats counts network requests per repository URL.
type Stats struct {
	// IndexDownloads counts index.yaml downloads.
	IndexDownloads int64
	// TagListings counts OCI tag list requests.
	TagListings int64
	// ChartDownloads counts chart archive downloads.
	ChartDownloads int64
}

// Client fetches charts. It is safe for concurrent use.
type Client struct {
	dir  string
	opts Options

	listGroup  singleflight.Group
	chartGroup singleflight.Group

	mu       sync.Mutex
	versions map[string]*versionList // by list key
	stats    map[string]*counters    // by normalized repository URL
	clients  map[[32]byte]*http.Client
}

type counters struct {
	indexDownloads, tagListings, chartDownloads atomic.Int64
}

// NewClient returns a Client that keeps chart archives and indexes under dir.
func NewClient(dir string, opts Options) (*Client, error) {
	if opts.IndexTTL <= 0 {
		opts.IndexTTL = DefaultIndexTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxChartBytes <= 0 {
		opts.MaxChartBytes = DefaultMaxChartBytes
	}
	if opts.MaxIndexBytes <= 0 {
		opts.MaxIndexBytes = DefaultMaxIndexBytes
	}
	if opts.MaxChartUnpackedBytes <= 0 {
		opts.MaxChartUnpackedBytes = DefaultMaxChartUnpackedBytes
	}
	if opts.MaxChartFiles <= 0 {
		opts.MaxChartFiles = DefaultMaxChartFiles
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	for _, sub := range []string{"charts", "registry"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("create Helm cache directory: %w", err)
		}
	}
	return &Client{
		dir:      dir,
		opts:     opts,
		versions: map[string]*versionList{},
		stats:    map[string]*counters{},
		clients:  map[[32]byte]*http.Client{},
	}, nil
}

// Stats returns the counters of repoURL.
func (c *Client) Stats(repoURL string) Stats {
	counter := c.counters(repoURL)
	return Stats{
		IndexDownloads: counter.indexDownloads.Load(),
		TagListings:    counter.tagListings.Load(),
		ChartDownloads: counter.chartDownloads.Load(),
	}
}

// Invalidate drops the cached index and tag lists of repoURL, for every
// credential identity, so that the next fetch of a version constraint sees
// new versions at once.
func (c *Client) Invalidate(repoURL string) {
	prefix := repourl.Normalize(repoURL) + "\x00"
	c.mu.Lock()
	defer c.mu.Unlock()
	for key := range c.versions {
		if strings.HasPrefix(key, prefix) {
			delete(c.versions, key)
		}
	}
}

func (c *Client) counters(repoURL string) *counters {
	key := repourl.Normalize(repoURL)
	c.mu.Lock()
	defer c.mu.Unlock()
	counter, ok := c.stats[key]
	if !ok {
		counter = &counters{}
		c.stats[key] = counter
	}
	return counter
}

// httpClient returns the client for the TLS options of creds, shared by
// every repository with the same options.
func (c *Client) httpClient(creds credentials.Credentials) (*http.Client, error) {
	key := sha256.Sum256([]byte(fmt.Sprintf("%t\x00%s\x00%s\x00%s",
		creds.Insecure, creds.TLSClientCertData, creds.TLSClientCertKey, creds.CABundle)))
	c.mu.Lock()
	defer c.mu.Unlock()
	if client, ok := c.clients[key]; ok {
		return client, nil
	}
	tlsConfig, err := creds.TLSConfig()
	if err != nil {
		return nil, err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	if tlsConfig != nil {
		base.TLSClientConfig = tlsConfig
	}
	var transport http.RoundTripper = base
	if c.opts.WrapTransport != nil {
		transport = c.opts.WrapTransport(transport)
	}
	// Error bodies are dropped but error statuses kept: the OCI client
	// authenticates by reading 401 responses. Each download also checks
	// its own, smaller limit.
	limit := max(c.opts.MaxIndexBytes, c.opts.MaxChartBytes)
	transport = source.BoundedTransport(transport, false, func(*http.Request) int64 { return limit })
	client := &http.Client{Transport: transport, Timeout: c.opts.Timeout}
	c.clients[key] = client
	return client, nil
}

// shared runs fn once for concurrent callers with the same key, with a
// context no single caller can cancel.
func (c *Client) shared(ctx context.Context, group *singleflight.Group, key string,
	fn func(context.Context) (any, error)) (any, error) {
	results := group.DoChan(key, func() (any, error) {
		flightCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.Timeout)
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

// cacheKey is a file name for a (repository, identity, chart, version).
func cacheKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// listKey names a cached index or tag list: the normalized repository URL
// first, so that Invalidate finds every identity's lists.
func listKey(repoURL string, creds credentials.Credentials, parts ...string) string {
	return strings.Join(append([]string{repourl.Normalize(repoURL), creds.Identity()}, parts...), "\x00")
}

// archiveLimits are the limits of an archive of this Client.
func (c *Client) archiveLimits() archiveLimits {
	return archiveLimits{maxBytes: c.opts.MaxChartUnpackedBytes, maxFiles: c.opts.MaxChartFiles}
}
