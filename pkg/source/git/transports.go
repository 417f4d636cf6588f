package git

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"

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

	mu   sync.Mutex
	http map[[32]byte]transport.Transport
}

func newTransports(opts Options) *transports {
	return &transports{opts: opts, http: map[[32]byte]transport.Transport{}}
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
// requests) to the repository with the credentials.
func (t *transports) session(repoURL string, creds credentials.Credentials) (transport.UploadPackSession, error) {
	endpoint, err := transport.NewEndpoint(repoURL)
	if err != nil {
		return nil, fmt.Errorf("parse repository URL: %w", err)
	}
	client, err := t.client(endpoint, creds)
	if err != nil {
		return nil, err
	}
	var auth transport.AuthMethod
	if endpoint.Protocol != "file" && endpoint.Protocol != "git" {
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

func (t *transports) httpClient(creds credentials.Credentials) (transport.Transport, error) {
	key := sha256.Sum256([]byte(fmt.Sprintf("%t\x00%s\x00%s\x00%s",
		creds.Insecure, creds.TLSClientCertData, creds.TLSClientCertKey, creds.CABundle)))
	t.mu.Lock()
	defer t.mu.Unlock()
	if client, ok := t.http[key]; ok {
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
	var roundTripper http.RoundTripper = base
	if t.opts.WrapTransport != nil {
		roundTripper = t.opts.WrapTransport(roundTripper)
	}
	roundTripper = source.BoundedTransport(roundTripper, true, t.responseLimit)
	client := githttp.NewClient(&http.Client{Transport: roundTripper})
	t.http[key] = client
	return client, nil
}
