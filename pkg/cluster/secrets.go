package cluster

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
)

// Argo CD marks its cluster Secrets with this label and value.
const (
	secretTypeLabel   = "argocd.argoproj.io/secret-type"
	secretTypeCluster = "cluster"
)

// clusterSecrets selects the Argo CD cluster Secrets among those of a lister.
var clusterSecrets = labels.SelectorFromSet(labels.Set{secretTypeLabel: secretTypeCluster})

// ErrUnsupportedProvider is returned for a cluster Secret whose config asks for
// a credential provider (exec plugin, AWS IAM) that Capstan does not run.
var ErrUnsupportedProvider = errors.New("credential provider is not supported")

// SecretCluster is a destination cluster read from an Argo CD cluster Secret.
type SecretCluster struct {
	// Name and Server identify the cluster in Application destinations.
	Name   string
	Server string
	// Namespaces, when set, are the only namespaces the credentials reach.
	Namespaces []string
	// ClusterResources lets a namespace-restricted cluster still manage
	// cluster-scoped resources.
	ClusterResources bool
	// Project, when set, scopes the cluster to one AppProject.
	Project string
	// Config reaches the cluster's API server with the Secret's credentials.
	Config *rest.Config
}

// clusterConfig is the JSON of a cluster Secret's config key, as Argo CD's
// ClusterConfig writes it. The TLS data are base64 strings because Argo CD
// marshals them from byte slices.
type clusterConfig struct {
	Username           string          `json:"username,omitempty"`
	Password           string          `json:"password,omitempty"`
	BearerToken        string          `json:"bearerToken,omitempty"`
	TLSClientConfig    tlsClientConfig `json:"tlsClientConfig"`
	ProxyURL           string          `json:"proxyUrl,omitempty"`
	DisableCompression bool            `json:"disableCompression,omitempty"`
	AWSAuthConfig      json.RawMessage `json:"awsAuthConfig,omitempty"`
	ExecProviderConfig json.RawMessage `json:"execProviderConfig,omitempty"`
}

type tlsClientConfig struct {
	Insecure   bool   `json:"insecure"`
	ServerName string `json:"serverName,omitempty"`
	CAData     string `json:"caData,omitempty"`
	CertData   string `json:"certData,omitempty"`
	KeyData    string `json:"keyData,omitempty"`
}

// secretValue returns a key of a Secret, from data or, for Secrets not yet
// stored, stringData.
func secretValue(secret *corev1.Secret, key string) string {
	if data, ok := secret.Data[key]; ok {
		return string(data)
	}
	return secret.StringData[key]
}

// secretServer returns the server URL of a cluster Secret without a trailing
// slash, as Argo CD compares them.
func secretServer(secret *corev1.Secret) string {
	return normalizeServer(secretValue(secret, "server"))
}

func normalizeServer(server string) string {
	return strings.TrimRight(strings.TrimSpace(server), "/")
}

// FromSecret reads an Argo CD cluster Secret. Errors name the Secret and the
// offending field but never quote a value, since any of them may be a credential.
func FromSecret(secret *corev1.Secret) (*SecretCluster, error) {
	secretName := secret.Namespace + "/" + secret.Name
	cluster := &SecretCluster{
		Name:    strings.TrimSpace(secretValue(secret, "name")),
		Server:  secretServer(secret),
		Project: strings.TrimSpace(secretValue(secret, "project")),
	}
	if cluster.Server == "" {
		return nil, fmt.Errorf("cluster Secret %s has no server", secretName)
	}
	if cluster.Name == "" {
		return nil, fmt.Errorf("cluster Secret %s has no name", secretName)
	}
	for _, namespace := range strings.Split(secretValue(secret, "namespaces"), ",") {
		if namespace = strings.TrimSpace(namespace); namespace != "" {
			cluster.Namespaces = append(cluster.Namespaces, namespace)
		}
	}
	if raw := strings.TrimSpace(secretValue(secret, "clusterResources")); raw != "" {
		parsed, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, fmt.Errorf("cluster Secret %s: clusterResources is not a boolean", secretName)
		}
		cluster.ClusterResources = parsed
	}
	config, err := restConfig(cluster.Server, secretValue(secret, "config"))
	if err != nil {
		return nil, fmt.Errorf("cluster Secret %s: %w", secretName, err)
	}
	cluster.Config = config
	return cluster, nil
}

// restConfig builds the client configuration of server from the JSON of a
// cluster Secret's config key.
func restConfig(server, rawConfig string) (*rest.Config, error) {
	var parsed clusterConfig
	if strings.TrimSpace(rawConfig) != "" {
		if err := json.Unmarshal([]byte(rawConfig), &parsed); err != nil {
			return nil, describeJSONError(err)
		}
	}
	if isSet(parsed.ExecProviderConfig) {
		return nil, fmt.Errorf("config.execProviderConfig: exec %w", ErrUnsupportedProvider)
	}
	if isSet(parsed.AWSAuthConfig) {
		return nil, fmt.Errorf("config.awsAuthConfig: AWS IAM %w", ErrUnsupportedProvider)
	}
	tls := parsed.TLSClientConfig
	config := &rest.Config{
		Host:               server,
		Username:           parsed.Username,
		Password:           parsed.Password,
		BearerToken:        parsed.BearerToken,
		DisableCompression: parsed.DisableCompression,
		TLSClientConfig: rest.TLSClientConfig{
			Insecure:   tls.Insecure,
			ServerName: tls.ServerName,
		},
	}
	fields := []struct {
		name   string
		value  string
		target *[]byte
	}{
		{"caData", tls.CAData, &config.CAData},
		{"certData", tls.CertData, &config.CertData},
		{"keyData", tls.KeyData, &config.KeyData},
	}
	for _, field := range fields {
		if field.value == "" {
			continue
		}
		decoded, err := base64.StdEncoding.DecodeString(field.value)
		if err != nil {
			return nil, fmt.Errorf("config.tlsClientConfig.%s is not valid base64", field.name)
		}
		*field.target = decoded
	}
	if tls.Insecure {
		// client-go refuses a CA together with insecure; the Secret asked not to verify.
		config.CAData = nil
	}
	if parsed.ProxyURL != "" {
		proxy, err := url.Parse(parsed.ProxyURL)
		if err != nil || proxy.Scheme == "" || proxy.Host == "" {
			// The URL may carry proxy credentials, so it is not quoted.
			return nil, fmt.Errorf("config.proxyUrl is not an absolute URL")
		}
		config.Proxy = http.ProxyURL(proxy)
	}
	return config, nil
}

func isSet(raw json.RawMessage) bool {
	trimmed := strings.TrimSpace(string(raw))
	return trimmed != "" && trimmed != "null"
}

// describeJSONError names what is wrong with a config without quoting it:
// encoding/json syntax errors may quote a character of a credential.
func describeJSONError(err error) error {
	var typeError *json.UnmarshalTypeError
	if errors.As(err, &typeError) {
		return fmt.Errorf("config.%s: a JSON %s cannot be a %s", typeError.Field, typeError.Value, typeError.Type)
	}
	var syntaxError *json.SyntaxError
	if errors.As(err, &syntaxError) {
		return fmt.Errorf("config is not valid JSON (syntax error at byte %d)", syntaxError.Offset)
	}
	return errors.New("config is not a valid JSON object")
}

// NewTokenSecret builds the Argo CD cluster Secret namespace/name that
// reaches server with a bearer token, verifying its certificate with caData
// (or not at all when insecure), in the format FromSecret reads: for
// `kubectl capstan cluster add`. project, when set, scopes the cluster to
// one AppProject.
func NewTokenSecret(namespace, name, clusterName, server, token string, caData []byte, insecure bool, project string) (*corev1.Secret, error) {
	config := clusterConfig{BearerToken: token, TLSClientConfig: tlsClientConfig{Insecure: insecure}}
	if !insecure && len(caData) > 0 {
		config.TLSClientConfig.CAData = base64.StdEncoding.EncodeToString(caData)
	}
	raw, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{secretTypeLabel: secretTypeCluster}},
		Type:       corev1.SecretTypeOpaque,
		StringData: map[string]string{"name": clusterName, "server": server, "config": string(raw)},
	}
	if project != "" {
		secret.StringData["project"] = project
	}
	return secret, nil
}
