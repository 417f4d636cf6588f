package credentials

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"

	"capstan.dev/capstan/pkg/source/repourl"
)

// ErrNoKnownHosts is returned for SSH repositories when no known host key is
// configured and host key checking was not disabled.
var ErrNoKnownHosts = errors.New("no SSH known hosts configured (argocd-ssh-known-hosts-cm) and insecureIgnoreHostKey is not set")

// GitAuth returns the go-git authentication for repoURL: HTTP basic auth or a
// bearer token for http(s), a private key with host key verification for SSH,
// and nil (anonymous) when there are no credentials.
func (c Credentials) GitAuth(repoURL string) (transport.AuthMethod, error) {
	if repourl.IsSSH(repoURL) {
		return c.sshAuth(repoURL)
	}
	switch {
	case c.BearerToken != "":
		return &githttp.TokenAuth{Token: c.BearerToken}, nil
	case c.Username != "" || c.Password != "":
		return &githttp.BasicAuth{Username: c.Username, Password: c.Password}, nil
	}
	if username, password, ok := repourl.Userinfo(repoURL); ok {
		return &githttp.BasicAuth{Username: username, Password: password}, nil
	}
	return nil, nil
}

func (c Credentials) sshAuth(repoURL string) (transport.AuthMethod, error) {
	user := sshUser(repoURL)
	callback, err := c.hostKeyCallback()
	if err != nil {
		return nil, err
	}
	if c.SSHPrivateKey == "" {
		return &gitssh.Password{User: user, Password: c.Password,
			HostKeyCallbackHelper: gitssh.HostKeyCallbackHelper{HostKeyCallback: callback}}, nil
	}
	keys, err := gitssh.NewPublicKeys(user, []byte(c.SSHPrivateKey), "")
	if err != nil {
		// The parse error may quote key material; say only what failed.
		return nil, fmt.Errorf("parse sshPrivateKey of %s: the key is not a valid unencrypted private key", c.describe())
	}
	keys.HostKeyCallback = callback
	return keys, nil
}

func (c Credentials) hostKeyCallback() (ssh.HostKeyCallback, error) {
	if c.InsecureIgnoreHostKey {
		return ssh.InsecureIgnoreHostKey(), nil //nolint:gosec // asked for by the Secret
	}
	if c.KnownHosts == nil || c.KnownHosts.callback == nil {
		return nil, ErrNoKnownHosts
	}
	return c.KnownHosts.callback, nil
}

// TLSConfig returns the TLS client configuration for HTTPS repositories, or
// nil when the defaults apply.
func (c Credentials) TLSConfig() (*tls.Config, error) {
	if !c.Insecure && c.TLSClientCertData == "" && c.TLSClientCertKey == "" && c.CABundle == "" {
		return nil, nil
	}
	config := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.Insecure {
		config.InsecureSkipVerify = true //nolint:gosec // asked for by the Secret
	}
	if c.TLSClientCertData != "" || c.TLSClientCertKey != "" {
		pair, err := tls.X509KeyPair([]byte(c.TLSClientCertData), []byte(c.TLSClientCertKey))
		if err != nil {
			return nil, fmt.Errorf("load TLS client certificate of %s: certificate and key do not form a valid pair", c.describe())
		}
		config.Certificates = []tls.Certificate{pair}
	}
	if c.CABundle != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(c.CABundle)) {
			return nil, fmt.Errorf("load CA bundle of %s: no PEM certificate found", c.describe())
		}
		config.RootCAs = pool
	}
	return config, nil
}

func (c Credentials) describe() string {
	if c.SecretName != "" {
		return "Secret " + c.SecretName
	}
	return repourl.Redact(c.URL)
}

// sshUser is the user of an SSH URL, "git" when none is given.
func sshUser(repoURL string) string {
	u, err := url.Parse(repourl.Normalize(repoURL))
	if err == nil && u.User != nil && u.User.Username() != "" {
		return u.User.Username()
	}
	return "git"
}
