package target

import (
	"context"
	"io/fs"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/helmrepo"
)

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
	files, err := chart.Files() // its errors name the chart
	if err != nil {
		return nil, "", err
	}
	return files, chart.Version, nil
}

// FetchChart provides chart dependencies to the Helm renderer.
func (f chartFetcher) FetchChart(ctx context.Context, repository, name, version string) (fs.FS, error) {
	files, _, err := f.fetch(ctx, repository, name, version, "", false)
	return files, err
}
