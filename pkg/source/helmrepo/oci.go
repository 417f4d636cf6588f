package helmrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/registry"
	"k8s.io/klog/v2"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/repourl"
)

// ociReference is the registry reference of a chart, without tag:
// registry.example.com/path/chart.
func ociReference(repoURL, chartName string) string {
	base := repourl.StripUserinfo(strings.TrimSpace(repoURL))
	if scheme, rest, ok := strings.Cut(base, "://"); ok && strings.EqualFold(scheme, "oci") {
		base = rest
	}
	return strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(chartName, "/")
}

// resolveOCI picks the version among the registry's tags of the chart.
func (c *Client) resolveOCI(ctx context.Context, repoURL, chartName, version string,
	creds credentials.Credentials) (chartVersion, error) {
	reference := ociReference(repoURL, chartName)
	client, err := c.registryClient(creds)
	if err != nil {
		return chartVersion{}, err
	}
	key := repourl.Normalize(repoURL) + "\x00oci\x00" + chartName
	list, err := c.cachedList(ctx, key, func(ctx context.Context) (*versionList, error) {
		c.counters(repoURL).tagListings.Add(1)
		klog.FromContext(ctx).V(2).Info("Listing OCI chart tags", "reference", reference)
		tags, err := client.Tags(reference)
		if err != nil {
			return nil, fmt.Errorf("list tags of %s: %w", reference, err)
		}
		return &versionList{tags: tags}, nil
	})
	if err != nil {
		return chartVersion{}, err
	}
	if len(list.tags) == 0 {
		return chartVersion{}, fmt.Errorf("%w: %s has no version tags", source.ErrChartNotFound, reference)
	}
	picked, err := pickVersion(list.tags, version)
	if err != nil {
		return chartVersion{}, err
	}
	return chartVersion{version: picked, download: func(ctx context.Context, _ FetchOptions) ([]byte, error) {
		// OCI tags cannot hold "+"; Helm pushes build metadata as "_".
		result, err := client.Pull(reference+":"+strings.ReplaceAll(picked, "+", "_"), registry.PullOptWithChart(true))
		if err != nil {
			return nil, fmt.Errorf("pull %s:%s: %w", reference, picked, err)
		}
		if int64(len(result.Chart.Data)) > c.opts.MaxChartBytes {
			return nil, fmt.Errorf("%w: chart %s:%s is more than %d bytes", source.ErrTooLarge, reference, picked, c.opts.MaxChartBytes)
		}
		return result.Chart.Data, nil
	}}, nil
}

// registryClient builds a Helm registry client that authenticates with creds
// only: never with the server's own Docker or Helm credential files.
func (c *Client) registryClient(creds credentials.Credentials) (*registry.Client, error) {
	httpClient, err := c.httpClient(creds)
	if err != nil {
		return nil, err
	}
	authorizer := auth.Client{
		Client: httpClient,
		Cache:  auth.NewCache(),
		Credential: func(context.Context, string) (auth.Credential, error) {
			if creds.Username == "" && creds.Password == "" {
				return auth.EmptyCredential, nil
			}
			return auth.Credential{Username: creds.Username, Password: creds.Password}, nil
		},
	}
	options := []registry.ClientOption{
		registry.ClientOptHTTPClient(httpClient),
		registry.ClientOptAuthorizer(authorizer),
		registry.ClientOptCredentialsFile(filepath.Join(c.dir, "registry", "config.json")),
		registry.ClientOptWriter(io.Discard),
	}
	if creds.InsecureOCIForceHTTP {
		options = append(options, registry.ClientOptPlainHTTP())
	}
	client, err := registry.NewClient(options...)
	if err != nil {
		return nil, fmt.Errorf("create OCI registry client: %w", err)
	}
	return client, nil
}

// classifyRegistry maps registry responses to kinds.
func classifyRegistry(err error) error {
	var response *errcode.ErrorResponse
	if errors.As(err, &response) {
		switch response.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return source.ErrAuthentication
		case http.StatusNotFound:
			return source.ErrChartNotFound
		}
	}
	if err == nil {
		return nil
	}
	message := err.Error()
	switch {
	case strings.Contains(message, "connection refused"), strings.Contains(message, "no such host"):
		return source.ErrUnreachable
	case strings.Contains(message, "not found"):
		return source.ErrRevisionNotFound
	}
	return nil
}
