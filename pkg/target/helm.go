package target

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"testing/fstest"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/helmrepo"
)

// maxChartFileBytes bounds one file of a chart archive when it is unpacked in memory.
const maxChartFileBytes = 16 << 20

// chartFetcher fetches charts from Helm repositories and OCI registries.
type chartFetcher struct {
	client      *helmrepo.Client
	credentials CredentialLookup
}

// fetch returns the chart directory and the resolved version of a chart.
func (f chartFetcher) fetch(ctx context.Context, repoURL, name, version, project string, passCredentials bool) (fs.FS, string, error) {
	creds, err := f.credentials.Lookup(repoURL, credentials.LookupOptions{Type: "helm", Project: project})
	if err != nil {
		return nil, "", err
	}
	chart, err := f.client.Fetch(ctx, repoURL, name, version, creds, helmrepo.FetchOptions{PassCredentials: passCredentials})
	if err != nil {
		return nil, "", err
	}
	files, err := unpackChart(chart.Archive)
	if err != nil {
		return nil, "", fmt.Errorf("chart %s %s: %w", name, chart.Version, err)
	}
	return files, chart.Version, nil
}

// FetchChart provides chart dependencies to the Helm renderer.
func (f chartFetcher) FetchChart(ctx context.Context, repository, name, version string) (fs.FS, error) {
	files, _, err := f.fetch(ctx, repository, name, version, "", false)
	return files, err
}

// unpackChart reads a chart archive (.tgz with one top-level directory) into
// an in-memory filesystem rooted at the chart directory.
func unpackChart(archive []byte) (fs.FS, error) {
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return nil, err
	}
	defer gz.Close()
	files := fstest.MapFS{}
	reader := tar.NewReader(gz)
	for {
		header, err := reader.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if header.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(header.Name)
		_, rest, ok := strings.Cut(name, "/")
		if !ok || rest == "" || strings.HasPrefix(rest, "../") || path.IsAbs(rest) {
			continue
		}
		if header.Size > maxChartFileBytes {
			return nil, fmt.Errorf("file %s is larger than %d bytes", rest, maxChartFileBytes)
		}
		data, err := io.ReadAll(io.LimitReader(reader, maxChartFileBytes))
		if err != nil {
			return nil, err
		}
		files[rest] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
}
