package git

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/file"
	gitproto "github.com/go-git/go-git/v5/plumbing/transport/git"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"

	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/credentials"
)

// transports builds the go-git transport for each endpoint. HTTP clients are
// owned by the Cache (never go-git's process-wide defaults), one per TLS
// configuration so that connections are reused, and bounded
// (source.BoundedTransport): error bodies never reach go-git, which would
// quote them, and a ref advertisement or pack past its limit fails.
type transports struct {
	opts Options
	// githubApps mints the installation tokens of GitHub App credentials.
	githubApps *credentials.GitHubAppTokens

	mu   sync.Mutex
	http map[[32]byte]transport.Transport
	// api holds the HTTP clients of GitHub App token requests, by TLS
	// configuration as http.
	api map[[32]byte]*http.Client
}

func newTransports(opts Options) *transports {
	return &transports{opts: opts, githubApps: credentials.NewGitHubAppTokens(opts.Now),
		http: map[[32]byte]transport.Transport{}, api: map[[32]byte]*http.Client{}}
}

// responseLimit is the size limit of the response to a Git HTTP request: a
// ref advertisement (GET .../info/refs) is held in memory, a pack is
// streamed to disk.
func (t *transports) responseLimit(request *http.Request) int64 {
	if strings.HasSuffix(request.URL.Path, "/info/refs") {
		return t.opts.MaxRefListBytes
	}
	return t.opts.MaxPackBytes
}

// session opens an upload-pack session (ref advertisement, then pack
// requests) to the repository with the credentials; GitHub App credentials
// authenticate with an installation token (minted with ctx when none is
// cached).
func (t *transports) session(ctx context.Context, repoURL string, creds credentials.Credentials) (transport.UploadPackSession, error) {
	endpoint, err := transport.NewEndpoint(repoURL)
	if err != nil {
		return nil, fmt.Errorf("parse repository URL: %w", err)
	}
	client, err := t.client(endpoint, creds)
	if err != nil {
		return nil, err
	}
	var auth transport.AuthMethod
	switch {
	case endpoint.Protocol == "file" || endpoint.Protocol == "git":
	case creds.IsGitHubApp() && endpoint.Protocol == "ssh":
		return nil, &source.CredentialError{Kind: source.ErrAuthentication,
			Message: fmt.Sprintf("the GitHub App of Secret %s authenticates Git over HTTPS only; use the repository's https:// URL", creds.SecretName)}
	case creds.IsGitHubApp() && (endpoint.Protocol == "http" || endpoint.Protocol == "https"):
		api, err := t.apiClient(creds)
		if err != nil {
			return nil, err
		}
		token, err := t.githubApps.Token(ctx, creds, api)
		if err != nil {
			return nil, err
		}
		// GitHub takes an installation token as the password of any user;
		// x-access-token is the name its documentation gives.
		auth = &githttp.BasicAuth{Username: "x-access-token", Password: token}
	default:
		if auth, err = creds.GitAuth(repoURL); err != nil {
			return nil, err
		}
	}
	return client.NewUploadPackSession(endpoint, auth)
}

func (t *transports) client(endpoint *transport.Endpoint, creds credentials.Credentials) (transport.Transport, error) {
	switch endpoint.Protocol {
	case "http", "https":
		return t.httpClient(creds)
	case "ssh":
		return gitssh.DefaultClient, nil
	case "file":
		return file.DefaultClient, nil
	case "git":
		return gitproto.DefaultClient, nil
	}
	return nil, fmt.Errorf("unsupported URL scheme %q", endpoint.Protocol)
}

// tlsKey identifies the TLS configuration of creds.
func tlsKey(creds credentials.Credentials) [32]byte {
	return sha256.Sum256([]byte(fmt.Sprintf("%t\x00%s\x00%s\x00%s",
		creds.Insecure, creds.TLSClientCertData, creds.TLSClientCertKey, creds.CABundle)))
}

// baseTransport is the HTTP transport of creds' TLS configuration, wrapped
// by Options.WrapTransport.
func (t *transports) baseTransport(creds credentials.Credentials) (http.RoundTripper, error) {
	tlsConfig, err := creds.TLSConfig()
	if err != nil {
		return nil, err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	if tlsConfig != nil {
		base.TLSClientConfig = tlsConfig
	}
	var roundTripper http.RoundTripper = base
	if t.opts.WrapTransport != nil {
		roundTripper = t.opts.WrapTransport(roundTripper)
	}
	return roundTripper, nil
}

// apiClient is the HTTP client of a GitHub App's token requests: the TLS
// options of its Secret (a GitHub Enterprise Server's CA), bounded in time.
func (t *transports) apiClient(creds credentials.Credentials) (*http.Client, error) {
	key := tlsKey(creds)
	t.mu.Lock()
	defer t.mu.Unlock()
	if client, ok := t.api[key]; ok {
		return client, nil
	}
	roundTripper, err := t.baseTransport(creds)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Transport: roundTripper, Timeout: githubAPITimeout,
		// The token request is answered directly; a redirect would carry
		// the App's JWT elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.api[key] = client
	return client, nil
}

// githubAPITimeout bounds one GitHub App token request.
const githubAPITimeout = 30 * time.Second

func (t *transports) httpClient(creds credentials.Credentials) (transport.Transport, error) {
	key := tlsKey(creds)
	t.mu.Lock()
	defer t.mu.Unlock()
	if client, ok := t.http[key]; ok {
		return client, nil
	}
	roundTripper, err := t.baseTransport(creds)
	if err != nil {
		return nil, err
	}
	roundTripper = source.BoundedTransport(roundTripper, true, t.responseLimit)
	client := githttp.NewClient(&http.Client{Transport: roundTripper})
	t.http[key] = client
	return client, nil
}
