package credentials

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Labels and label values that mark Argo CD repository Secrets.
const (
	// SecretTypeLabel is the label that says what an Argo CD Secret holds.
	SecretTypeLabel = "argocd.argoproj.io/secret-type"
	// SecretTypeRepository labels a Secret describing one repository.
	SecretTypeRepository = "repository"
	// SecretTypeRepoCreds labels a credential template matched by URL prefix.
	SecretTypeRepoCreds = "repo-creds"
)

// FromSecret reads the Argo CD repository fields of a Secret. It does not
// check the Secret's label; use Find to select Secrets for a repository.
func FromSecret(secret *corev1.Secret) (Credentials, error) {
	value := func(key string) string {
		if data, ok := secret.Data[key]; ok {
			return string(data)
		}
		return secret.StringData[key]
	}
	name := secret.Namespace + "/" + secret.Name
	creds := Credentials{
		URL:               strings.TrimSpace(value("url")),
		Type:              strings.ToLower(strings.TrimSpace(value("type"))),
		Name:              value("name"),
		Project:           value("project"),
		SecretName:        name,
		Username:          value("username"),
		Password:          value("password"),
		BearerToken:       value("bearerToken"),
		SSHPrivateKey:     value("sshPrivateKey"),
		TLSClientCertData: value("tlsClientCertData"),
		TLSClientCertKey:  value("tlsClientCertKey"),
	}
	if creds.URL == "" {
		return Credentials{}, fmt.Errorf("repository Secret %s has no url", name)
	}
	flags := []struct {
		key    string
		target *bool
	}{
		{"insecure", &creds.Insecure},
		{"insecureIgnoreHostKey", &creds.InsecureIgnoreHostKey},
		{"forceHttpBasicAuth", &creds.ForceHTTPBasicAuth},
		{"enableOCI", &creds.EnableOCI},
		{"insecureOCIForceHttp", &creds.InsecureOCIForceHTTP},
	}
	for _, flag := range flags {
		raw := strings.TrimSpace(value(flag.key))
		if raw == "" {
			continue
		}
		parsed, err := strconv.ParseBool(raw)
		if err != nil {
			return Credentials{}, fmt.Errorf("repository Secret %s: %s: %q is not a boolean", name, flag.key, raw)
		}
		*flag.target = parsed
	}
	if err := creds.readGitHubApp(name, value); err != nil {
		return Credentials{}, err
	}
	if raw := strings.TrimSpace(value("depth")); raw != "" {
		depth, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || depth < 0 {
			return Credentials{}, fmt.Errorf("repository Secret %s: depth: %q is not a non-negative integer", name, raw)
		}
		creds.Depth = depth
	}
	return creds, nil
}

// GitHubAppFromSecret reads the GitHub App of a Secret's data (the keys of a
// repository Secret; url is not needed), for the GitHub App authentication
// of ApplicationSet generators (appSecretName). name names the Secret in
// errors.
func GitHubAppFromSecret(name string, data map[string][]byte) (Credentials, error) {
	creds := Credentials{SecretName: name}
	if err := creds.readGitHubApp(name, func(key string) string { return string(data[key]) }); err != nil {
		return Credentials{}, err
	}
	if !creds.IsGitHubApp() {
		return Credentials{}, fmt.Errorf("Secret %s has no githubAppPrivateKey, githubAppID and githubAppInstallationID", name)
	}
	return creds, nil
}

// readGitHubApp reads the GitHub App keys of a repository Secret: all three
// of githubAppID, githubAppInstallationID and githubAppPrivateKey, or none.
func (c *Credentials) readGitHubApp(name string, value func(string) string) error {
	c.GitHubAppPrivateKey = value("githubAppPrivateKey")
	c.GitHubAppEnterpriseBaseURL = strings.TrimSpace(value("githubAppEnterpriseBaseUrl"))
	ids := []struct {
		key    string
		target *int64
	}{
		{"githubAppID", &c.GitHubAppID},
		{"githubAppInstallationID", &c.GitHubAppInstallationID},
	}
	for _, id := range ids {
		raw := strings.TrimSpace(value(id.key))
		if raw == "" {
			if c.GitHubAppPrivateKey != "" {
				return fmt.Errorf("repository Secret %s: %s is required with githubAppPrivateKey", name, id.key)
			}
			continue
		}
		parsed, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || parsed <= 0 {
			return fmt.Errorf("repository Secret %s: %s: %q is not a positive integer", name, id.key, raw)
		}
		*id.target = parsed
	}
	if c.GitHubAppPrivateKey == "" && (c.GitHubAppID != 0 || c.GitHubAppInstallationID != 0) {
		return fmt.Errorf("repository Secret %s: githubAppPrivateKey is required with githubAppID and githubAppInstallationID", name)
	}
	if base := c.GitHubAppEnterpriseBaseURL; base != "" && !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
		return fmt.Errorf("repository Secret %s: githubAppEnterpriseBaseUrl: %q is not an http(s) URL", name, base)
	}
	return nil
}

// copyCredentialsFrom fills the credentials this repository lacks from a
// template, as Argo CD's Repository.CopyCredentialsFrom does.
func (c *Credentials) copyCredentialsFrom(template Credentials) {
	fill := func(target *string, value string) {
		if *target == "" {
			*target = value
		}
	}
	fill(&c.Username, template.Username)
	fill(&c.Password, template.Password)
	fill(&c.BearerToken, template.BearerToken)
	fill(&c.SSHPrivateKey, template.SSHPrivateKey)
	fill(&c.TLSClientCertData, template.TLSClientCertData)
	fill(&c.TLSClientCertKey, template.TLSClientCertKey)
	if !c.IsGitHubApp() && template.IsGitHubApp() {
		c.GitHubAppID, c.GitHubAppInstallationID = template.GitHubAppID, template.GitHubAppInstallationID
		c.GitHubAppPrivateKey, c.GitHubAppEnterpriseBaseURL = template.GitHubAppPrivateKey, template.GitHubAppEnterpriseBaseURL
	}
	c.ForceHTTPBasicAuth = template.ForceHTTPBasicAuth
	c.EnableOCI = c.EnableOCI || template.EnableOCI
	c.SecretName += " + " + template.SecretName
}
