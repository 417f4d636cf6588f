package generators

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/source/credentials"
)

// Bounds on what a remote service may send: a response body larger than
// maxResponseBytes is an error, and a listing longer than maxPages pages is
// an error rather than an endless loop.
const (
	maxResponseBytes = 8 << 20
	maxPages         = 200
)

// errRemoteNotFound is a 404 of a remote service.
var errRemoteNotFound = errors.New("not found")

// remote is one configured remote API (an SCM provider or a plugin): its
// base URL, HTTP client and authentication. Errors name the service and the
// URL path, never the response body or the credentials.
type remote struct {
	name   string
	base   *url.URL
	client *http.Client
	// auth sets the credentials on a request; nil sends none.
	auth func(*http.Request)
}

// newRemote parses base and builds a remote for the service called name.
func newRemote(name, base string, client *http.Client, auth func(*http.Request)) (*remote, error) {
	parsed, err := url.Parse(strings.TrimSuffix(base, "/"))
	if err != nil || parsed.Host == "" || parsed.Scheme != "http" && parsed.Scheme != "https" {
		return nil, fmt.Errorf("%s: API URL %q is not an http(s) URL", name, base)
	}
	return &remote{name: name, base: parsed, client: client, auth: auth}, nil
}

// bearer, basic and header build auth functions.
func bearer(scheme, token string) func(*http.Request) {
	if token == "" {
		return nil
	}
	return func(request *http.Request) { request.Header.Set("Authorization", scheme+" "+token) }
}

func basic(user, password string) func(*http.Request) {
	return func(request *http.Request) { request.SetBasicAuth(user, password) }
}

func header(name, value string) func(*http.Request) {
	if value == "" {
		return nil
	}
	return func(request *http.Request) { request.Header.Set(name, value) }
}

// url appends an escaped path and the query to the base URL.
func (r *remote) url(escapedPath string, query url.Values) string {
	u := *r.base
	u.RawPath = strings.TrimSuffix(r.base.EscapedPath(), "/") + escapedPath
	if unescaped, err := url.PathUnescape(u.RawPath); err == nil {
		u.Path = unescaped
	}
	u.RawQuery = query.Encode()
	return u.String()
}

// esc escapes one path segment (a slash in it is escaped too).
func esc(segment string) string { return url.PathEscape(segment) }

// pathEscape escapes a file path, keeping its slashes.
func pathEscape(segment string) string {
	parts := strings.Split(segment, "/")
	for i, part := range parts {
		parts[i] = url.PathEscape(part)
	}
	return strings.Join(parts, "/")
}

// sameOrigin refuses a URL a service handed back (a next page) that points
// anywhere but the service itself, so credentials never travel elsewhere.
func (r *remote) sameOrigin(raw string) (string, error) {
	next, err := r.base.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%s: the next page URL is not valid", r.name)
	}
	if next.Scheme != r.base.Scheme || next.Host != r.base.Host {
		return "", fmt.Errorf("%s: the next page is on another host (%s), which is not followed", r.name, next.Host)
	}
	return next.String(), nil
}

// get fetches rawURL and decodes its JSON body into into (when not nil).
func (r *remote) get(ctx context.Context, rawURL string, into any) (http.Header, error) {
	return r.do(ctx, http.MethodGet, rawURL, nil, into)
}

// exists is a GET whose 404 answers false.
func (r *remote) exists(ctx context.Context, rawURL string) (bool, error) {
	_, err := r.get(ctx, rawURL, nil)
	if errors.Is(err, errRemoteNotFound) {
		return false, nil
	}
	return err == nil, err
}

// do sends one request. A status other than 2xx is an error naming the
// status only; a 404 wraps errRemoteNotFound.
func (r *remote) do(ctx context.Context, method, rawURL string, body []byte, into any) (http.Header, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	request, err := http.NewRequestWithContext(ctx, method, rawURL, reader)
	if err != nil {
		return nil, fmt.Errorf("%s: build the request: %w", r.name, err)
	}
	request.Header.Set("Accept", "application/json")
	if body != nil {
		request.Header.Set("Content-Type", "application/json")
	}
	if r.auth != nil {
		r.auth(request)
	}
	where := request.URL.Host + request.URL.Path
	response, err := r.client.Do(request)
	if err != nil {
		return nil, fmt.Errorf("%s: %s %s: %w", r.name, method, where, transportError(err))
	}
	defer func() { _ = response.Body.Close() }()
	if response.StatusCode == http.StatusNotFound {
		_, _ = io.Copy(io.Discard, io.LimitReader(response.Body, maxResponseBytes))
		return nil, fmt.Errorf("%s: %s %s: %w", r.name, method, where, errRemoteNotFound)
	}
	if response.StatusCode < 200 || response.StatusCode > 299 {
		return nil, fmt.Errorf("%s: %s %s: HTTP status %d", r.name, method, where, response.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(response.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %s %s: read the response: %w", r.name, method, where, err)
	}
	if len(data) > maxResponseBytes {
		return nil, fmt.Errorf("%s: %s %s: the response is larger than %d bytes", r.name, method, where, maxResponseBytes)
	}
	if into != nil {
		if err := json.Unmarshal(data, into); err != nil {
			return nil, fmt.Errorf("%s: %s %s: the response is not the expected JSON", r.name, method, where)
		}
	}
	return response.Header, nil
}

// transportError keeps the errors of a failed exchange that say what went
// wrong without quoting the server (timeouts, DNS, connection and
// certificate errors); any other (a malformed answer, whose bytes Go's
// error would quote) becomes a fixed message.
func transportError(err error) error {
	var (
		dnsErr  *net.DNSError
		opErr   *net.OpError
		certErr *tls.CertificateVerificationError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return errors.New("the request timed out or was canceled")
	case errors.As(err, &certErr):
		return certErr
	case errors.As(err, &dnsErr):
		return dnsErr
	case errors.As(err, &opErr):
		return opErr
	}
	return errors.New("the connection failed or the answer is not valid HTTP")
}

// nextLink is the rel="next" URL of an RFC 8288 Link header (GitHub,
// Gitea), empty when there is none.
func nextLink(header string) string {
	for _, link := range strings.Split(header, ",") {
		target, params, found := strings.Cut(strings.TrimSpace(link), ";")
		if !found {
			continue
		}
		target = strings.TrimSpace(target)
		if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		for _, param := range strings.Split(params, ";") {
			key, value, _ := strings.Cut(strings.TrimSpace(param), "=")
			if strings.EqualFold(key, "rel") && slicesContainsField(strings.Trim(value, `"`), "next") {
				return target[1 : len(target)-1]
			}
		}
	}
	return ""
}

func slicesContainsField(value, want string) bool {
	for _, field := range strings.Fields(value) {
		if strings.EqualFold(field, want) {
			return true
		}
	}
	return false
}

// secretValue reads one key of a Secret in the ApplicationSet's namespace;
// a nil reference is no credential. The value never appears in errors.
func (r *run) secretValue(ctx context.Context, ref *v1alpha1.SecretRef, field string) (string, error) {
	if ref == nil {
		return "", nil
	}
	if ref.SecretName == "" || ref.Key == "" {
		return "", fmt.Errorf("%s: secretName and key are required", field)
	}
	data, err := r.secretData(ctx, ref.SecretName, field)
	if err != nil {
		return "", err
	}
	value, ok := data[ref.Key]
	if !ok {
		return "", fmt.Errorf("%s: Secret %s has no key %q", field, ref.SecretName, ref.Key)
	}
	return string(value), nil
}

// secretData reads a Secret of the ApplicationSet's namespace.
func (r *run) secretData(ctx context.Context, name, field string) (map[string][]byte, error) {
	namespace := r.appSet.Namespace
	if err := r.mayRead(ctx, "get", secretsResource, namespace, name); err != nil {
		return nil, err
	}
	if r.generators.sources.Kube == nil {
		return nil, fmt.Errorf("%s: no Kubernetes client is configured to read Secret %s", field, name)
	}
	secret, err := r.generators.sources.Kube.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: read Secret %s/%s: %w", field, namespace, name, err)
	}
	return secret.Data, nil
}

// configMapData reads a ConfigMap of the ApplicationSet's namespace.
func (r *run) configMapData(ctx context.Context, name, field string) (map[string]string, error) {
	namespace := r.appSet.Namespace
	if name == "" {
		return nil, fmt.Errorf("%s: the ConfigMap name is required", field)
	}
	if err := r.mayRead(ctx, "get", configMapsResource, namespace, name); err != nil {
		return nil, err
	}
	if r.generators.sources.Kube == nil {
		return nil, fmt.Errorf("%s: no Kubernetes client is configured to read ConfigMap %s", field, name)
	}
	configMap, err := r.generators.sources.Kube.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: read ConfigMap %s/%s: %w", field, namespace, name, err)
	}
	return configMap.Data, nil
}

// httpClient is the generators' HTTP client, or a copy that skips TLS
// verification or trusts the extra CA certificates of caRef.
func (r *run) httpClient(ctx context.Context, insecure bool, caRef *v1alpha1.ConfigMapKeyRef, field string) (*http.Client, error) {
	base := r.generators.sources.HTTPClient
	if !insecure && caRef == nil {
		return base, nil
	}
	config := &tls.Config{MinVersion: tls.VersionTLS12}
	if insecure {
		config.InsecureSkipVerify = true //nolint:gosec // the generator's insecure field asks for it.
	}
	if caRef != nil {
		data, err := r.configMapData(ctx, caRef.ConfigMapName, field+".caRef")
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(data[caRef.Key])) {
			return nil, fmt.Errorf("%s.caRef: key %q of ConfigMap %s holds no PEM certificate", field, caRef.Key, caRef.ConfigMapName)
		}
		config.RootCAs = pool
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if current, ok := base.Transport.(*http.Transport); ok {
		transport = current.Clone()
	}
	transport.TLSClientConfig = config
	client := *base
	client.Transport = transport
	return &client, nil
}

// allowedSCM refuses an API URL outside --allowed-scm-providers.
func (r *run) allowedSCM(api string) error {
	allowed := r.generators.sources.AllowedSCMProviders
	if len(allowed) == 0 {
		return nil
	}
	normalized := strings.TrimSuffix(api, "/")
	for _, candidate := range allowed {
		if strings.TrimSuffix(candidate, "/") == normalized {
			return nil
		}
	}
	return fmt.Errorf("the SCM provider %s is not allowed by --allowed-scm-providers", api)
}

// connection is how one provider's API is reached by a generator.
type connection struct {
	// name names the provider in errors; field is the generator's field of
	// the provider, for the CA and client errors.
	name, field string
	// api is the API URL the allow-list checks; path is appended to it.
	api, path string
	// tokenRef and tokenField are the Secret key of the token and the field naming it.
	tokenRef   *v1alpha1.SecretRef
	tokenField string
	// appSecretName, when set, names a GitHub App Secret (githubAppID,
	// githubAppInstallationID, githubAppPrivateKey) whose installation
	// token authenticates instead of tokenRef's.
	appSecretName string
	// insecure and caRef configure TLS.
	insecure bool
	caRef    *v1alpha1.ConfigMapKeyRef
	// auth adds the token to each request.
	auth func(token string) func(*http.Request)
}

// connect checks the API against --allowed-scm-providers, reads the token
// from the ApplicationSet's namespace and returns the provider's remote.
func (r *run) connect(ctx context.Context, c connection) (*remote, error) {
	if err := r.allowedSCM(c.api); err != nil {
		return nil, err
	}
	client, err := r.httpClient(ctx, c.insecure, c.caRef, c.field)
	if err != nil {
		return nil, err
	}
	var token string
	if c.appSecretName != "" {
		token, err = r.githubAppToken(ctx, c, client)
	} else {
		token, err = r.secretValue(ctx, c.tokenRef, c.tokenField)
	}
	if err != nil {
		return nil, err
	}
	base := c.api
	if c.path != "" {
		base = strings.TrimSuffix(c.api, "/") + c.path
	}
	return newRemote(c.name, base, client, c.auth(token))
}

// githubAppToken is an installation token of the GitHub App whose Secret
// (in the ApplicationSet's namespace, as tokenRef's) c.appSecretName names,
// minted from its githubAppEnterpriseBaseUrl or else the generator's API,
// which --allowed-scm-providers must allow either way.
func (r *run) githubAppToken(ctx context.Context, c connection, client *http.Client) (string, error) {
	field := c.field + ".appSecretName"
	data, err := r.secretData(ctx, c.appSecretName, field)
	if err != nil {
		return "", err
	}
	app, err := credentials.GitHubAppFromSecret(r.appSet.Namespace+"/"+c.appSecretName, data)
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	if app.GitHubAppEnterpriseBaseURL == "" {
		app.GitHubAppEnterpriseBaseURL = c.api
	} else if err := r.allowedSCM(app.GitHubAppEnterpriseBaseURL); err != nil {
		return "", err
	}
	return r.generators.githubApps.Token(ctx, app, client)
}

// bearerAuth and basicToken are connection.auth of the providers.
func bearerAuth(scheme string) func(string) func(*http.Request) {
	return func(token string) func(*http.Request) { return bearer(scheme, token) }
}

func basicToken(token string) func(*http.Request) { return basic("", token) }

func privateToken(token string) func(*http.Request) { return header("PRIVATE-TOKEN", token) }
