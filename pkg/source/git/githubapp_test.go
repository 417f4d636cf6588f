package git_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

func TestAGitHubAppReadsARepositoryWithOneInstallationTokenForEveryRequest(t *testing.T) {
	const token = "ghs_installation-token"
	f := newFixture(t, gittest.ServerOptions{Username: "x-access-token", Password: token})
	// A loopback stand-in for the GitHub API's token endpoint (the JWT's
	// checks are pkg/source/credentials' tests).
	var tokenRequests atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokenRequests.Add(1)
		if r.URL.Path != "/api/v3/app/installations/42/access_tokens" || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"token":%q,"expires_at":%q}`, token, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	}))
	t.Cleanup(api.Close)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	app := credentials.Credentials{SecretName: "capstan-system/github-app", GitHubAppID: 7, GitHubAppInstallationID: 42,
		GitHubAppPrivateKey:        string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		GitHubAppEnterpriseBaseURL: api.URL + "/api/v3"}

	c := newCache(t, git.Options{})
	_, tree := open(t, c, f.httpURL, "main", app)
	if got := readFile(t, tree, "README.md"); got != "second\n" {
		t.Errorf("README.md = %q", got)
	}
	if _, err := c.Resolve(context.Background(), f.httpURL, "feature", app); err != nil {
		t.Fatal(err)
	}
	if got := tokenRequests.Load(); got != 1 {
		t.Errorf("%d token requests for a ref listing and a fetch, want 1", got)
	}
	if got := f.server.Requests().Unauthorized; got != 0 {
		t.Errorf("%d requests refused by the Git server", got)
	}

	t.Run("an installation the API does not know fails the fetch, naming the Secret", func(t *testing.T) {
		other := app
		other.GitHubAppInstallationID = 43
		_, err := newCache(t, git.Options{}).Resolve(context.Background(), f.httpURL, "main", other)
		mustBe(t, err, git.ErrAuthentication)
		if !strings.Contains(err.Error(), "capstan-system/github-app") || !strings.Contains(err.Error(), "404") {
			t.Errorf("got %v, want the token request's 404 naming the Secret", err)
		}
		if strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Errorf("the error quotes the key: %v", err)
		}
	})
	t.Run("an SSH URL is refused with what to use instead", func(t *testing.T) {
		_, err := newCache(t, git.Options{}).Resolve(context.Background(), "ssh://git@127.0.0.1:1/app.git", "main", app)
		mustBe(t, err, git.ErrAuthentication)
		if err == nil || !strings.Contains(err.Error(), "authenticates Git over HTTPS only") || !strings.Contains(err.Error(), "capstan-system/github-app") {
			t.Errorf("got %v, want the refusal naming the Secret and HTTPS", err)
		}
	})
}
