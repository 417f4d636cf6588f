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
	if raw := strings.TrimSpace(value("depth")); raw != "" {
		depth, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || depth < 0 {
			return Credentials{}, fmt.Errorf("repository Secret %s: depth: %q is not a non-negative integer", name, raw)
		}
		creds.Depth = depth
	}
	return creds, nil
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
	c.ForceHTTPBasicAuth = template.ForceHTTPBasicAuth
	c.EnableOCI = c.EnableOCI || template.EnableOCI
	c.SecretName += " + " + template.SecretName
}
