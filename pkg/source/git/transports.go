package git

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"sync"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/file"
	gitproto "github.com/go-git/go-git/v5/plumbing/transport/git"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"

	"capstan.dev/capstan/pkg/source/credentials"
)

// transports builds the go-git transport for each endpoint. HTTP clients are
// owned by the Cache (never go-git's process-wide defaults), one per TLS
// configuration so that connections are reused.
type transports struct {
	wrap func(http.RoundTripper) http.RoundTripper

	mu   sync.Mutex
	http map[[32]byte]transport.Transport
}

func newTransports(wrap func(http.RoundTripper) http.RoundTripper) *transports {
	return &transports{wrap: wrap, http: map[[32]byte]transport.Transport{}}
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
	if t.wrap != nil {
		roundTripper = t.wrap(roundTripper)
	}
	client := githttp.NewClient(&http.Client{Transport: roundTripper})
	t.http[key] = client
	return client, nil
}
