package credentials

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"capstan.dev/capstan/pkg/source"
)

// DefaultGitHubAPIURL is the GitHub API a GitHub App's installation tokens
// come from when the Secret names no githubAppEnterpriseBaseUrl.
const DefaultGitHubAPIURL = "https://api.github.com"

// GitHub App installation tokens live an hour; one is used until it has less
// than tokenRenewBefore left, so that a fetch never starts with a token about
// to expire. The app's own JWT is valid for appJWTLifetime, backdated by
// appJWTBackdate against clock drift, as GitHub recommends.
const (
	tokenRenewBefore = 5 * time.Minute
	appJWTLifetime   = 9 * time.Minute
	appJWTBackdate   = time.Minute
	// maxTokenResponseBytes bounds the API's answer read into memory.
	maxTokenResponseBytes = 64 << 10
)

// IsGitHubApp tells whether the credentials are a GitHub App's: Git over
// HTTPS then authenticates with an installation token minted from them.
func (c Credentials) IsGitHubApp() bool {
	return c.GitHubAppPrivateKey != ""
}

// GitHubAppTokens mints GitHub App installation access tokens and reuses each
// until shortly before it expires: one API request per installation and
// hour, whatever the number of repositories and fetches. It is safe for
// concurrent use; the zero value is not: use NewGitHubAppTokens.
type GitHubAppTokens struct {
	now func() time.Time

	mu     sync.Mutex
	tokens map[string]installationToken
	// minting serializes the requests for one installation.
	minting map[string]*sync.Mutex
}

type installationToken struct {
	token   string
	expires time.Time
}

// NewGitHubAppTokens returns an empty token cache; now is its clock (nil
// means time.Now).
func NewGitHubAppTokens(now func() time.Time) *GitHubAppTokens {
	if now == nil {
		now = time.Now
	}
	return &GitHubAppTokens{now: now, tokens: map[string]installationToken{}, minting: map[string]*sync.Mutex{}}
}

// Token returns an installation access token for the GitHub App credentials
// c, from the cache or minted with client against the App's API (the
// Secret's githubAppEnterpriseBaseUrl, or api.github.com). Its errors are
// *source.CredentialError: they name the Secret and what failed, and never
// quote the key, the JWT, a token or the API's own text.
func (t *GitHubAppTokens) Token(ctx context.Context, c Credentials, client *http.Client) (string, error) {
	key := c.githubAppKey()
	t.mu.Lock()
	lock, ok := t.minting[key]
	if !ok {
		lock = &sync.Mutex{}
		t.minting[key] = lock
	}
	t.mu.Unlock()
	lock.Lock()
	defer lock.Unlock()

	t.mu.Lock()
	cached, ok := t.tokens[key]
	t.mu.Unlock()
	if ok && t.now().Add(tokenRenewBefore).Before(cached.expires) {
		return cached.token, nil
	}
	minted, err := t.mint(ctx, c, client)
	if err != nil {
		return "", err
	}
	t.mu.Lock()
	t.tokens[key] = minted
	t.mu.Unlock()
	return minted.token, nil
}

// mint asks the API for an installation token, authenticated as the App.
// A failure is a *source.CredentialError of kind source.ErrAuthentication
// (the API refused, or the key is unusable) or source.ErrUnreachable (no
// answer), saying what failed in Capstan's words: the API's own text is not
// repeated.
func (t *GitHubAppTokens) mint(ctx context.Context, c Credentials, client *http.Client) (installationToken, error) {
	fail := func(kind error, format string, args ...any) (installationToken, error) {
		return installationToken{}, &source.CredentialError{Kind: kind,
			Message: fmt.Sprintf("GitHub App installation token for %s: ", c.describe()) + fmt.Sprintf(format, args...)}
	}
	appJWT, err := c.githubAppJWT(t.now())
	if err != nil {
		return fail(source.ErrAuthentication, "%v", err)
	}
	url := strings.TrimSuffix(c.githubAPIURL(), "/") + "/app/installations/" + strconv.FormatInt(c.GitHubAppInstallationID, 10) + "/access_tokens"
	request, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return fail(source.ErrAuthentication, "githubAppEnterpriseBaseUrl: %q is not a usable URL", c.GitHubAppEnterpriseBaseURL)
	}
	request.Header.Set("Authorization", "Bearer "+appJWT)
	request.Header.Set("Accept", "application/vnd.github+json")
	request.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	response, err := client.Do(request)
	if err != nil {
		return fail(source.ErrUnreachable, "POST %s: %v", url, source.HideServerText(err, false))
	}
	defer response.Body.Close()
	body, err := io.ReadAll(io.LimitReader(response.Body, maxTokenResponseBytes))
	if err != nil {
		return fail(source.ErrUnreachable, "POST %s: the answer could not be read", url)
	}
	if response.StatusCode != http.StatusCreated && response.StatusCode != http.StatusOK {
		return fail(source.ErrAuthentication, "POST %s: HTTP %d %s (check githubAppID, githubAppInstallationID and githubAppPrivateKey)",
			url, response.StatusCode, http.StatusText(response.StatusCode))
	}
	var answer struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Token == "" {
		return fail(source.ErrAuthentication, "POST %s: the answer holds no token", url)
	}
	if answer.ExpiresAt.IsZero() {
		answer.ExpiresAt = t.now().Add(time.Hour)
	}
	return installationToken{token: answer.Token, expires: answer.ExpiresAt}, nil
}

// githubAPIURL is the API the App's tokens come from.
func (c Credentials) githubAPIURL() string {
	if c.GitHubAppEnterpriseBaseURL != "" {
		return c.GitHubAppEnterpriseBaseURL
	}
	return DefaultGitHubAPIURL
}

// githubAppKey identifies an App installation and key in the token cache.
func (c Credentials) githubAppKey() string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%d\x00%s\x00%s", c.GitHubAppID, c.GitHubAppInstallationID, c.githubAPIURL(), c.GitHubAppPrivateKey)))
	return hex.EncodeToString(sum[:])
}

// githubAppJWT is the App's JSON Web Token (RS256, issued by the App ID),
// which authenticates the request for an installation token.
func (c Credentials) githubAppJWT(now time.Time) (string, error) {
	key, err := parseRSAPrivateKey(c.GitHubAppPrivateKey)
	if err != nil {
		return "", err
	}
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, err := json.Marshal(map[string]any{
		"iat": now.Add(-appJWTBackdate).Unix(),
		"exp": now.Add(appJWTLifetime).Unix(),
		"iss": strconv.FormatInt(c.GitHubAppID, 10),
	})
	if err != nil {
		return "", err
	}
	signed := header + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signed))
	signature, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign the GitHub App JWT: %w", err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(signature), nil
}

// parseRSAPrivateKey reads a PEM RSA key in PKCS #1 (GitHub's download) or
// PKCS #8 form. Its errors say what is wrong, never what the key holds.
func parseRSAPrivateKey(data string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(data)))
	if block == nil {
		return nil, fmt.Errorf("githubAppPrivateKey: not a PEM private key")
	}
	if key, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return key, nil
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("githubAppPrivateKey: not a valid RSA private key")
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("githubAppPrivateKey: not an RSA key (GitHub Apps sign with RS256)")
	}
	return key, nil
}
