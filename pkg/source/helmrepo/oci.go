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
// registry.example.com/path/chart, from the canonical repository URL.
func ociReference(repoURL, chartName string) string {
	base := repourl.Normalize(repoURL)
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
	list, err := c.cachedList(ctx, listKey(repoURL, creds, "oci", chartName), func(ctx context.Context) (*versionList, error) {
		c.counters(repoURL).tagListings.Add(1)
		klog.FromContext(ctx).V(2).Info("Listing OCI chart tags", "reference", reference)
		tags, err := client.Tags(reference)
		if err != nil {
			return nil, registryError("list tags of "+reference, err)
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
			return nil, registryError("pull "+reference+":"+picked, err)
		}
		if int64(len(result.Chart.Data)) > c.opts.MaxChartBytes {
			return nil, &source.TooLargeError{What: "chart " + reference + ":" + picked, Limit: c.opts.MaxChartBytes}
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

// registryError reports a failed registry operation with its kind and, of
// what the registry said, only the status code: the registry client quotes
// the error messages of the response body.
func registryError(operation string, err error) error {
	kind := classifyRegistry(err)
	var response *errcode.ErrorResponse
	var cause error
	if errors.As(err, &response) && response.URL != nil {
		cause = &source.HTTPStatusError{Method: response.Method, URL: repourl.Redact(response.URL.String()), StatusCode: response.StatusCode}
	} else {
		cause = source.HideServerText(err, kind != nil)
	}
	switch {
	case kind != nil && cause != nil && !errors.Is(cause, kind):
		return fmt.Errorf("%s: %w: %w", operation, kind, cause)
	case cause != nil:
		return fmt.Errorf("%s: %w", operation, cause)
	case kind != nil:
		return fmt.Errorf("%s: %w", operation, kind)
	}
	return fmt.Errorf("%s failed", operation)
}

// classifyRegistry maps registry responses to kinds.
func classifyRegistry(err error) error {
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return source.ErrAuthentication // the registry wants credentials
	}
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
