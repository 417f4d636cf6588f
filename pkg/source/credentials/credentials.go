// Package credentials turns Argo CD repository Secrets into the credentials
// that the Git, Helm and OCI clients of package source use.
//
// Secrets labelled argocd.argoproj.io/secret-type: repository name one
// repository (exact URL match); Secrets labelled repo-creds are templates
// matched by the longest URL prefix, on whole path segments of the same
// scheme and host (repourl.HasPrefix), and fill in the credentials of a
// repository Secret that carries none, as in Argo CD. Nothing in this package
// prints a secret value: Credentials format, log and marshal to a redacted
// form.
package credentials

import (
	"fmt"
	"strings"

	"capstan.dev/capstan/pkg/source/repourl"
)

// Repository types, as in the Secret's type key.
const (
	TypeGit  = "git"
	TypeHelm = "helm"
	TypeOCI  = "oci"
)

// Credentials is what is needed to reach one repository: identity, secrets
// and transport options. The zero value means anonymous access.
type Credentials struct {
	// URL is the repository URL (for a template match, the repository's URL,
	// not the template's prefix).
	URL string
	// Type is git, helm or oci; empty means git.
	Type string
	// Name is the display name from the Secret's name key.
	Name string
	// Project scopes the credentials to one AppProject when set.
	Project string
	// SecretName names the Secret(s) the credentials came from, for messages.
	SecretName string

	Username      string
	Password      string
	BearerToken   string
	SSHPrivateKey string
	// TLSClientCertData and TLSClientCertKey are a PEM client certificate and
	// key for mutual TLS.
	TLSClientCertData string
	TLSClientCertKey  string
	// CABundle is extra PEM CA certificates to trust (argocd-tls-certs-cm).
	CABundle string

	// GitHubAppID, GitHubAppInstallationID and GitHubAppPrivateKey are a
	// GitHub App's: Git over HTTPS authenticates with installation tokens
	// minted from them (GitHubAppTokens), from GitHubAppEnterpriseBaseURL
	// (a GitHub Enterprise Server's API, https://HOST/api/v3) or
	// api.github.com.
	GitHubAppID                int64
	GitHubAppInstallationID    int64
	GitHubAppPrivateKey        string
	GitHubAppEnterpriseBaseURL string

	// Insecure skips TLS server verification.
	Insecure bool
	// InsecureIgnoreHostKey skips SSH host key verification.
	InsecureIgnoreHostKey bool
	// ForceHTTPBasicAuth sends basic auth without waiting for a challenge.
	ForceHTTPBasicAuth bool
	// EnableOCI marks a Helm repository given without scheme as an OCI registry.
	EnableOCI bool
	// InsecureOCIForceHTTP talks plain HTTP to an OCI registry.
	InsecureOCIForceHTTP bool
	// Depth asks for a shallow fetch of that many commits; 0 means full history.
	Depth int64

	// KnownHosts verifies SSH host keys; nil means no host is known (and SSH
	// fails unless InsecureIgnoreHostKey is set).
	KnownHosts *KnownHosts
}

// HasCredentials reports whether any secret is set (as opposed to transport
// options only), which decides whether a repo-creds template applies.
func (c Credentials) HasCredentials() bool {
	return c.Username != "" || c.Password != "" || c.BearerToken != "" ||
		c.SSHPrivateKey != "" || c.TLSClientCertData != "" || c.TLSClientCertKey != "" || c.GitHubAppPrivateKey != ""
}

// WithURLUserinfo returns the credentials to use for repoURL: these, or, when
// they carry no secret, the username and password embedded in an http(s)
// URL, so that they travel as basic auth and are scrubbed from messages.
func (c Credentials) WithURLUserinfo(repoURL string) Credentials {
	if c.HasCredentials() {
		return c
	}
	if username, password, ok := repourl.Userinfo(repoURL); ok {
		c.Username, c.Password = username, password
	}
	return c
}

// EffectiveType returns the repository type, defaulting to git.
func (c Credentials) EffectiveType() string {
	if c.Type == "" {
		return TypeGit
	}
	return strings.ToLower(c.Type)
}

// Secrets returns every secret value set, for scrubbing them out of messages
// produced by libraries. A username counts as a secret only when no password
// is set, because tokens are often passed as usernames.
func (c Credentials) Secrets() []string {
	var secrets []string
	for _, value := range []string{c.Password, c.BearerToken, c.SSHPrivateKey, c.TLSClientCertKey, c.GitHubAppPrivateKey} {
		if value != "" {
			secrets = append(secrets, value)
		}
	}
	if c.Password == "" && c.Username != "" {
		secrets = append(secrets, c.Username)
	}
	return secrets
}

// Scrub removes every secret of these credentials, and userinfo in URLs, from
// a message.
func (c Credentials) Scrub(message string) string {
	return repourl.Scrub(message, c.Secrets()...)
}

// String describes the credentials without revealing any secret.
func (c Credentials) String() string {
	var parts []string
	add := func(key, value string) {
		if value != "" {
			parts = append(parts, key+"="+value)
		}
	}
	present := func(value string) string {
		if value == "" {
			return ""
		}
		return "<redacted>"
	}
	add("url", repourl.Redact(c.URL))
	add("type", c.Type)
	add("name", c.Name)
	add("project", c.Project)
	add("secret", c.SecretName)
	if c.Password != "" {
		add("username", c.Username)
	} else {
		add("username", present(c.Username))
	}
	add("password", present(c.Password))
	add("bearerToken", present(c.BearerToken))
	add("sshPrivateKey", present(c.SSHPrivateKey))
	add("tlsClientCertData", present(c.TLSClientCertData))
	add("tlsClientCertKey", present(c.TLSClientCertKey))
	if c.IsGitHubApp() {
		add("githubAppID", fmt.Sprint(c.GitHubAppID))
		add("githubAppInstallationID", fmt.Sprint(c.GitHubAppInstallationID))
		add("githubAppPrivateKey", present(c.GitHubAppPrivateKey))
		add("githubAppEnterpriseBaseUrl", c.GitHubAppEnterpriseBaseURL)
	}
	if c.Insecure {
		add("insecure", "true")
	}
	if c.InsecureIgnoreHostKey {
		add("insecureIgnoreHostKey", "true")
	}
	if c.EnableOCI {
		add("enableOCI", "true")
	}
	if c.Depth > 0 {
		add("depth", fmt.Sprint(c.Depth))
	}
	return "Credentials{" + strings.Join(parts, ", ") + "}"
}

// GoString is used by %#v; it is as redacted as String.
func (c Credentials) GoString() string { return c.String() }

// Format makes every fmt verb (%v, %+v, %s, %q, %#v) print the redacted form.
func (c Credentials) Format(state fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(state, "%q", c.String())
		return
	}
	fmt.Fprint(state, c.String())
}

// MarshalLog is used by logr (klog structured logging) instead of reflection.
func (c Credentials) MarshalLog() any { return c.String() }

// MarshalText keeps encoders (JSON, YAML) from writing secrets.
func (c Credentials) MarshalText() ([]byte, error) { return []byte(c.String()), nil }
