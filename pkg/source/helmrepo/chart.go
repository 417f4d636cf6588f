package helmrepo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/repourl"
)

// Chart is a fetched chart archive.
type Chart struct {
	// Name and Version are the chart's (Version is the resolved version when
	// a constraint was asked for).
	Name    string
	Version string
	// Digest is "sha256:" and the hex digest of Archive.
	Digest string
	// Archive is the packaged chart (.tgz).
	Archive []byte

	limits archiveLimits
}

// Files unpacks the archive into an in-memory filesystem rooted at the
// chart's directory, refusing an archive that unpacks to more bytes or files
// than the Client's limits allow (subchart archives included).
func (c *Chart) Files() (fs.FS, error) {
	files, err := unpackArchive(c.Archive, c.limits, c.describe())
	if err != nil {
		return nil, err
	}
	return files, nil
}

// Load decodes the archive into a chart for the Helm renderer, within the
// same limits as Files.
func (c *Chart) Load() (*chart.Chart, error) {
	if _, err := unpackArchive(c.Archive, c.limits, c.describe()); err != nil {
		return nil, err
	}
	loaded, err := loader.LoadArchive(bytes.NewReader(c.Archive))
	if err != nil {
		return nil, fmt.Errorf("load chart %s %s: %w", c.Name, c.Version, err)
	}
	return loaded, nil
}

// Fetch returns chart chartName at version from the repository: an HTTP
// chart repository, or an OCI registry (oci:// URL, or a URL without scheme
// whose credentials set enableOCI). version is an exact chart version or a
// semver constraint (the highest matching version wins; empty means the
// latest release). An exact version already on disk costs no network work.
func (c *Client) Fetch(ctx context.Context, repoURL, chartName, version string,
	creds credentials.Credentials, opts FetchOptions) (*Chart, error) {
	creds = creds.WithURLUserinfo(repoURL)
	identity := creds.Identity()
	version = strings.TrimSpace(version)
	fail := func(op string, kind, err error) (*Chart, error) {
		return nil, source.NewError(op, repoURL, chartName+" "+version, kind, err, creds.Scrub)
	}
	if chartName == "" || strings.ContainsAny(chartName, "/\\") && !isOCI(repoURL, creds) {
		return fail("fetch chart", source.ErrChartNotFound, fmt.Errorf("invalid chart name %q", chartName))
	}
	if isExactVersion(version) {
		if cached := c.readCached(repoURL, identity, chartName, version); cached != nil {
			return cached, nil
		}
	}
	var resolved chartVersion
	var err error
	if isOCI(repoURL, creds) {
		resolved, err = c.resolveOCI(ctx, repoURL, chartName, version, creds)
	} else {
		resolved, err = c.resolveHTTP(ctx, repoURL, chartName, version, creds)
	}
	if err != nil {
		return fail("resolve chart version", classify(err), err)
	}
	if cached := c.readCached(repoURL, identity, chartName, resolved.version); cached != nil {
		return cached, nil
	}
	key := cacheKey(repourl.Normalize(repoURL), identity, chartName, resolved.version)
	result, err := c.shared(ctx, &c.chartGroup, key, func(ctx context.Context) (any, error) {
		if cached := c.readCached(repoURL, identity, chartName, resolved.version); cached != nil {
			return cached, nil
		}
		archive, err := resolved.download(ctx, opts)
		if err != nil {
			return nil, err
		}
		// A bomb is refused before it is kept.
		if _, err := c.newChart(chartName, resolved.version, archive).Files(); err != nil {
			return nil, err
		}
		c.counters(repoURL).chartDownloads.Add(1)
		klog.FromContext(ctx).V(2).Info("Downloaded Helm chart", "repo", repourl.Redact(repoURL),
			"chart", chartName, "version", resolved.version, "bytes", len(archive))
		return c.writeCached(repoURL, identity, chartName, resolved.version, archive)
	})
	if err != nil {
		return fail("download chart", classify(err), err)
	}
	return result.(*Chart), nil
}

// chartVersion is a resolved version and how to download it.
type chartVersion struct {
	version  string
	download func(context.Context, FetchOptions) ([]byte, error)
}

// isExactVersion reports whether version names one version rather than a
// constraint.
func isExactVersion(version string) bool {
	if version == "" || strings.ContainsAny(version, " <>=~^*|,") {
		return false
	}
	_, err := semver.NewVersion(version)
	return err == nil
}

// isOCI reports whether the repository is an OCI registry.
func isOCI(repoURL string, creds credentials.Credentials) bool {
	if strings.HasPrefix(strings.ToLower(repoURL), "oci://") {
		return true
	}
	return creds.EnableOCI && !strings.Contains(repoURL, "://")
}

// chartPath is the file of a chart archive fetched with credentials of that
// identity.
func (c *Client) chartPath(repoURL, identity, chartName, version string) string {
	return filepath.Join(c.dir, "charts", cacheKey(repourl.Normalize(repoURL), identity, chartName, version)+".tgz")
}

func (c *Client) readCached(repoURL, identity, chartName, version string) *Chart {
	path := c.chartPath(repoURL, identity, chartName, version)
	if info, err := os.Stat(path); err != nil || info.Size() > c.opts.MaxChartBytes {
		return nil
	}
	archive, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return c.newChart(chartName, version, archive)
}

// writeCached stores the archive atomically: a reader never sees half a file.
func (c *Client) writeCached(repoURL, identity, chartName, version string, archive []byte) (*Chart, error) {
	path := c.chartPath(repoURL, identity, chartName, version)
	temp, err := os.CreateTemp(filepath.Dir(path), ".download-*")
	if err != nil {
		return nil, fmt.Errorf("cache chart: %w", err)
	}
	_, err = temp.Write(archive)
	if closeErr := temp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(temp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(temp.Name())
		return nil, fmt.Errorf("cache chart: %w", err)
	}
	return c.newChart(chartName, version, archive), nil
}

func (c *Client) newChart(name, version string, archive []byte) *Chart {
	sum := sha256.Sum256(archive)
	return &Chart{Name: name, Version: version, Digest: "sha256:" + hex.EncodeToString(sum[:]), Archive: archive,
		limits: c.archiveLimits()}
}

// describe names the chart in messages.
func (c *Chart) describe() string { return "chart " + c.Name + " " + c.Version }

// pickVersion chooses among versions (highest first) as Helm does: an exact
// match first, then the highest version satisfying the constraint.
func pickVersion(versions []string, version string) (string, error) {
	for _, candidate := range versions {
		if version != "" && candidate == version {
			return candidate, nil
		}
	}
	constraintText := version
	if constraintText == "" {
		constraintText = "*"
	}
	constraint, err := semver.NewConstraint(constraintText)
	if err != nil {
		return "", fmt.Errorf("%w: %q is neither a version nor a constraint: %w", source.ErrRevisionNotFound, version, err)
	}
	for _, candidate := range versions {
		parsed, err := semver.NewVersion(candidate)
		if err == nil && constraint.Check(parsed) {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("%w: no version matches %q", source.ErrRevisionNotFound, constraintText)
}
