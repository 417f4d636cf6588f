package credentials

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakeGitHub is a loopback stand-in for the GitHub API's installation token
// endpoint (GitHub itself cannot run here): it checks the App's JWT against
// the App's public key and answers a token per request.
type fakeGitHub struct {
	*httptest.Server
	requests atomic.Int32
	now      func() time.Time
}

func newFakeGitHub(t *testing.T, appID, installation int64, public *rsa.PublicKey, now func() time.Time) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{now: now}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.requests.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != fmt.Sprintf("/app/installations/%d/access_tokens", installation) {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		if err := checkAppJWT(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), appID, public, f.now()); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"message":%q}`, "A JSON web token could not be decoded: "+err.Error())
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"token":"ghs_token%d","expires_at":%q}`, n, f.now().Add(time.Hour).UTC().Format(time.RFC3339))
	}))
	t.Cleanup(f.Close)
	return f
}

// checkAppJWT verifies an RS256 JWT issued by appID and valid at now.
func checkAppJWT(token string, appID int64, public *rsa.PublicKey, now time.Time) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a JWT")
	}
	signature, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(public, crypto.SHA256, digest[:], signature); err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	var claims struct {
		Issuer    string `json:"iss"`
		IssuedAt  int64  `json:"iat"`
		ExpiresAt int64  `json:"exp"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil {
		return err
	}
	if claims.Issuer != fmt.Sprint(appID) {
		return fmt.Errorf("issuer %q", claims.Issuer)
	}
	if claims.IssuedAt > now.Unix() || claims.ExpiresAt < now.Unix() || claims.ExpiresAt-claims.IssuedAt > 600 {
		return fmt.Errorf("not valid now: iat %d exp %d", claims.IssuedAt, claims.ExpiresAt)
	}
	return nil
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newAppKey(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

func TestAGitHubAppTokenIsMintedOnceAndRenewedBeforeItExpires(t *testing.T) {
	key, keyPEM := newAppKey(t)
	clock := &testClock{now: time.Now()}
	api := newFakeGitHub(t, 7, 42, &key.PublicKey, clock.Now)
	creds := Credentials{SecretName: "capstan-system/github", GitHubAppID: 7, GitHubAppInstallationID: 42,
		GitHubAppPrivateKey: keyPEM, GitHubAppEnterpriseBaseURL: api.URL}
	tokens := NewGitHubAppTokens(clock.Now)
	ctx := context.Background()

	for range 3 {
		token, err := tokens.Token(ctx, creds, api.Client())
		if err != nil {
			t.Fatal(err)
		}
		if token != "ghs_token1" {
			t.Fatalf("token %q, want the first one minted", token)
		}
	}
	if got := api.requests.Load(); got != 1 {
		t.Errorf("%d token requests for three uses within the hour, want 1", got)
	}

	clock.Advance(56 * time.Minute)
	token, err := tokens.Token(ctx, creds, api.Client())
	if err != nil || token != "ghs_token2" || api.requests.Load() != 2 {
		t.Errorf("4 minutes before expiry: token %q (%v) after %d requests, want a new token from a second request", token, err, api.requests.Load())
	}

	other := creds
	other.GitHubAppInstallationID = 43
	if _, err := tokens.Token(ctx, other, api.Client()); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("another installation: %v, want its own request (404 here), not the cached token", err)
	}
}

func TestAGitHubAppTokenRefusedByTheAPIFailsWithoutQuotingTheKeyOrTheJWT(t *testing.T) {
	key, _ := newAppKey(t)
	_, otherPEM := newAppKey(t)
	api := newFakeGitHub(t, 7, 42, &key.PublicKey, time.Now)
	creds := Credentials{SecretName: "team-a/github", GitHubAppID: 7, GitHubAppInstallationID: 42,
		GitHubAppPrivateKey: otherPEM, GitHubAppEnterpriseBaseURL: api.URL}
	_, err := NewGitHubAppTokens(nil).Token(context.Background(), creds, api.Client())
	if err == nil {
		t.Fatal("a JWT signed with the wrong key was accepted")
	}
	message := err.Error()
	for _, want := range []string{"team-a/github", "401", "githubAppPrivateKey"} {
		if !strings.Contains(message, want) {
			t.Errorf("error %q does not name %q", message, want)
		}
	}
	if strings.Contains(message, "PRIVATE KEY") || strings.Contains(message, "eyJ") {
		t.Errorf("error %q quotes key material or the JWT", message)
	}
}

func TestAGitHubAppPrivateKeyThatIsNotAnRSAKeyIsNamedInTheError(t *testing.T) {
	for name, key := range map[string]string{
		"not PEM":     "hello",
		"not RSA DER": "-----BEGIN RSA PRIVATE KEY-----\naGVsbG8=\n-----END RSA PRIVATE KEY-----\n",
	} {
		t.Run(name, func(t *testing.T) {
			creds := Credentials{SecretName: "ns/github", GitHubAppID: 7, GitHubAppInstallationID: 42, GitHubAppPrivateKey: key,
				GitHubAppEnterpriseBaseURL: "http://127.0.0.1:1"}
			_, err := NewGitHubAppTokens(nil).Token(context.Background(), creds, http.DefaultClient)
			if err == nil || !strings.Contains(err.Error(), "githubAppPrivateKey") || !strings.Contains(err.Error(), "ns/github") {
				t.Errorf("got %v, want an error naming githubAppPrivateKey and the Secret", err)
			}
		})
	}
}

func TestAGitHubAppSecretIsReadRedactedAndIdentifiedByItsApp(t *testing.T) {
	_, keyPEM := newAppKey(t)
	secret := func(data map[string]string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "capstan-system", Name: "github"}, Data: map[string][]byte{
			"url": []byte("https://github.com/example/app.git")}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		return s
	}
	creds, err := FromSecret(secret(map[string]string{"githubAppID": "7", "githubAppInstallationID": "42",
		"githubAppPrivateKey": keyPEM, "githubAppEnterpriseBaseUrl": "https://ghe.example.com/api/v3"}))
	if err != nil {
		t.Fatal(err)
	}
	if !creds.IsGitHubApp() || creds.GitHubAppID != 7 || creds.GitHubAppInstallationID != 42 || creds.GitHubAppEnterpriseBaseURL != "https://ghe.example.com/api/v3" {
		t.Errorf("read %+v", creds)
	}
	if printed := fmt.Sprintf("%v %+v %#v %s", creds, creds, creds, creds.String()); strings.Contains(printed, "PRIVATE KEY") {
		t.Errorf("the key is printed: %s", printed)
	}
	other := creds
	other.GitHubAppInstallationID = 43
	if creds.Identity() == "" || creds.Identity() == other.Identity() {
		t.Error("two installations of an App share a cache identity (or the App has none)")
	}
	if scrubbed := creds.Scrub("key " + keyPEM); strings.Contains(scrubbed, "PRIVATE KEY") {
		t.Errorf("Scrub leaves the key: %s", scrubbed)
	}

	for name, data := range map[string]map[string]string{
		"githubAppInstallationID": {"githubAppID": "7", "githubAppPrivateKey": keyPEM},
		"githubAppID":             {"githubAppID": "seven", "githubAppInstallationID": "42", "githubAppPrivateKey": keyPEM},
		"githubAppPrivateKey":     {"githubAppID": "7", "githubAppInstallationID": "42"},
		"githubAppEnterpriseBaseUrl": {"githubAppID": "7", "githubAppInstallationID": "42", "githubAppPrivateKey": keyPEM,
			"githubAppEnterpriseBaseUrl": "ghe.example.com"},
	} {
		t.Run("an invalid "+name+" is named", func(t *testing.T) {
			_, err := FromSecret(secret(data))
			if err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("got %v, want an error naming %s and not quoting the key", err, name)
			}
		})
	}

	t.Run("a repo-creds template lends its App to a repository without credentials", func(t *testing.T) {
		repo := Credentials{URL: "https://github.com/example/app.git", SecretName: "capstan-system/app"}
		repo.copyCredentialsFrom(creds)
		if !repo.IsGitHubApp() || repo.GitHubAppInstallationID != 42 || repo.GitHubAppEnterpriseBaseURL != creds.GitHubAppEnterpriseBaseURL {
			t.Errorf("after the template: %+v", repo)
		}
	})
}
