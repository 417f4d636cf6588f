package helmrepo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/repo"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/repourl"
)

// versionList is a cached index.yaml (HTTP) or tag list (OCI).
type versionList struct {
	fetchedAt time.Time
	index     *repo.IndexFile
	tags      []string
}

// cachedList returns the list under key, fetching it with fetch at most once
// per TTL for all callers.
func (c *Client) cachedList(ctx context.Context, key string, fetch func(context.Context) (*versionList, error)) (*versionList, error) {
	fresh := func() *versionList {
		c.mu.Lock()
		defer c.mu.Unlock()
		if list, ok := c.versions[key]; ok && c.opts.Now().Sub(list.fetchedAt) < c.opts.IndexTTL {
			return list
		}
		return nil
	}
	if list := fresh(); list != nil {
		return list, nil
	}
	result, err := c.shared(ctx, &c.listGroup, key, func(ctx context.Context) (any, error) {
		if list := fresh(); list != nil {
			return list, nil
		}
		list, err := fetch(ctx)
		if err != nil {
			return nil, err
		}
		list.fetchedAt = c.opts.Now()
		c.mu.Lock()
		c.versions[key] = list
		c.mu.Unlock()
		return list, nil
	})
	if err != nil {
		return nil, err
	}
	return result.(*versionList), nil
}

// resolveHTTP picks the version from the repository's index.yaml.
func (c *Client) resolveHTTP(ctx context.Context, repoURL, chartName, version string,
	creds credentials.Credentials) (chartVersion, error) {
	list, err := c.cachedList(ctx, listKey(repoURL, creds, "index"), func(ctx context.Context) (*versionList, error) {
		index, err := c.downloadIndex(ctx, repoURL, creds)
		return &versionList{index: index}, err
	})
	if err != nil {
		return chartVersion{}, err
	}
	entries, ok := list.index.Entries[chartName]
	if !ok || len(entries) == 0 {
		return chartVersion{}, fmt.Errorf("%w: the index has no chart %q", source.ErrChartNotFound, chartName)
	}
	var versions []string
	for _, entry := range entries {
		versions = append(versions, entry.Version)
	}
	picked, err := pickVersion(versions, version)
	if err != nil {
		return chartVersion{}, err
	}
	entry, err := list.index.Get(chartName, picked)
	if err != nil || len(entry.URLs) == 0 {
		return chartVersion{}, fmt.Errorf("%w: chart %s %s has no download URL", source.ErrRevisionNotFound, chartName, picked)
	}
	return chartVersion{version: picked, download: func(ctx context.Context, opts FetchOptions) ([]byte, error) {
		return c.downloadArchive(ctx, repoURL, chartName, picked, entry, creds, opts)
	}}, nil
}

// downloadIndex downloads <canonical URL>/index.yaml.
func (c *Client) downloadIndex(ctx context.Context, repoURL string, creds credentials.Credentials) (*repo.IndexFile, error) {
	indexURL := repourl.Normalize(repoURL) + "/index.yaml"
	c.counters(repoURL).indexDownloads.Add(1)
	klog.FromContext(ctx).V(2).Info("Downloading Helm repository index", "repo", repourl.Redact(repoURL))
	data, err := c.get(ctx, indexURL, repourl.Redact(indexURL), creds, true, c.opts.MaxIndexBytes)
	if err != nil {
		return nil, err
	}
	// Helm parses indexes from files only; keep the latest one on disk.
	path := filepath.Join(c.dir, "charts", cacheKey(repourl.Normalize(repoURL), creds.Identity())+"-index.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return nil, fmt.Errorf("store index: %w", err)
	}
	index, err := repo.LoadIndexFile(path)
	if err != nil {
		// The parser quotes what it could not read: the server's text.
		return nil, fmt.Errorf("parse index.yaml: it is not a Helm repository index")
	}
	return index, nil
}

// downloadArchive downloads the archive of chart name at version, from the
// first URL the index lists for it. Messages name the chart by what was asked
// and picked, never by the index's text.
func (c *Client) downloadArchive(ctx context.Context, repoURL, name, version string, entry *repo.ChartVersion,
	creds credentials.Credentials, opts FetchOptions) ([]byte, error) {
	chartURL, err := repo.ResolveReferenceURL(repourl.Normalize(repoURL), entry.URLs[0])
	if err != nil {
		return nil, fmt.Errorf("the index's URL of chart %s %s is not a URL", name, version)
	}
	sendCredentials := opts.PassCredentials || sameHost(repoURL, chartURL)
	// The archive's URL is the index's text: messages show its host only.
	display := fmt.Sprintf("%s (the archive of chart %s %s in the index)", hostOf(chartURL), name, version)
	archive, err := c.get(ctx, chartURL, display, creds, sendCredentials, c.opts.MaxChartBytes)
	if err != nil {
		return nil, err
	}
	if entry.Digest != "" {
		sum := sha256.Sum256(archive)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, entry.Digest) {
			return nil, fmt.Errorf("the archive of chart %s %s has digest sha256:%s, not the one the index gives", name, version, got)
		}
	}
	return archive, nil
}

// hostOf returns scheme://host of a URL.
func hostOf(raw string) string {
	u, err := url.Parse(repourl.Normalize(raw))
	if err != nil {
		return "an unreadable URL"
	}
	return u.Scheme + "://" + u.Host
}

// get downloads target with basic auth (when allowed) and a size limit;
// messages name it display.
func (c *Client) get(ctx context.Context, target, display string, creds credentials.Credentials,
	sendCredentials bool, limit int64) ([]byte, error) {
	client, err := c.httpClient(creds)
	if err != nil {
		return nil, err
	}
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: not a valid request", display)
	}
	if sendCredentials && (creds.Username != "" || creds.Password != "") {
		request.SetBasicAuth(creds.Username, creds.Password)
	}
	tooLarge := &source.TooLargeError{What: "the response to GET " + display, Limit: limit}
	response, err := client.Do(request)
	if err != nil {
		return nil, readError(display, tooLarge, err)
	}
	defer func() { _ = response.Body.Close() }()
	if response.StatusCode != http.StatusOK {
		// The status code only: the reason phrase and body are the server's.
		return nil, &source.HTTPStatusError{Method: http.MethodGet, URL: display, StatusCode: response.StatusCode}
	}
	data, err := io.ReadAll(io.LimitReader(response.Body, limit+1))
	if err != nil {
		return nil, readError(display, tooLarge, err)
	}
	if int64(len(data)) > limit {
		return nil, tooLarge
	}
	return data, nil
}

// readError reports a failed request or read without the server's text;
// past a size limit, it is tooLarge.
func readError(display string, tooLarge, err error) error {
	if errors.Is(err, source.ErrTooLarge) {
		return tooLarge
	}
	return fmt.Errorf("%w: GET %s: %w", source.ErrUnreachable, display, source.HideServerText(err, false))
}

// sameHost reports whether two URLs have the same scheme and host (port
// included), so that credentials may go from one to the other.
func sameHost(a, b string) bool {
	left, errLeft := url.Parse(repourl.Normalize(a))
	right, errRight := url.Parse(repourl.Normalize(b))
	return errLeft == nil && errRight == nil && left.Scheme == right.Scheme && strings.EqualFold(left.Host, right.Host)
}

// classify returns the kind of a failure, when it has one.
func classify(err error) error {
	for _, kind := range []error{source.ErrAuthentication, source.ErrChartNotFound, source.ErrRepositoryNotFound,
		source.ErrRevisionNotFound, source.ErrUnreachable, source.ErrTooLarge} {
		if errors.Is(err, kind) {
			return kind
		}
	}
	return classifyRegistry(err)
}
