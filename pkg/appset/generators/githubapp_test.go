package generators

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestGitHubGeneratorsAuthenticateAsAGitHubAppInstallation(t *testing.T) {
	const installationToken = "ghs_app-installation-token"
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	appSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "github-app", Namespace: "team"}, Data: map[string][]byte{
		"githubAppID": []byte("7"), "githubAppInstallationID": []byte("42"),
		"githubAppPrivateKey": pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
	}}
	var tokenRequests atomic.Int32
	tokenPath := "/app/installations/42/access_tokens"
	server := fakeAPI(t, func(r *http.Request) bool {
		if r.URL.Path == tokenPath {
			// The App's JWT (its signature is pkg/source/credentials' tests).
			tokenRequests.Add(1)
			return r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey")
		}
		return r.Header.Get("Authorization") == "Bearer "+installationToken
	}, map[string]reply{
		tokenPath:                       {status: http.StatusCreated, body: `{"token":"` + installationToken + `","expires_at":"2099-01-01T00:00:00Z"}`},
		"/orgs/acme/repos":              {body: `[{"id":1,"name":"api","clone_url":"https://git.example/acme/api.git","default_branch":"main","owner":{"login":"acme"}}]`},
		"/repos/acme/api/branches/main": {body: `{"name":"main","commit":{"sha":"0123456789abcdef0123"}}`},
		"/repos/acme/api/pulls":         {body: `[{"number":5,"title":"Fix","user":{"login":"bob"},"head":{"ref":"fix","sha":"abcdef0123456789"},"base":{"ref":"main"},"labels":[]}]`},
	})
	g := New(Sources{Kube: tokenClient(appSecret)})

	scm := appSetFromYAML(t, strings.ReplaceAll(`
generators:
- scmProvider:
    cloneProtocol: https
    github: {organization: acme, api: "{{URL}}", appSecretName: github-app}`, "{{URL}}", server.URL)+scmTemplate)
	if got := generate(t, g, scm); len(got) != 1 || !strings.Contains(got[0], `"repository":"api"`) {
		t.Errorf("SCM provider with appSecretName: %v, want the repository api", got)
	}
	pulls := appSetFromYAML(t, strings.ReplaceAll(`
generators:
- pullRequest:
    github: {owner: acme, repo: api, api: "{{URL}}", appSecretName: github-app}`, "{{URL}}", server.URL)+scmTemplate)
	if got := generate(t, g, pulls); len(got) != 1 || !strings.Contains(got[0], `"number":"5"`) {
		t.Errorf("pull request generator with appSecretName: %v, want pull request 5", got)
	}
	if got := tokenRequests.Load(); got != 1 {
		t.Errorf("%d token requests for two generators of one installation, want 1", got)
	}

	t.Run("the caller of a preview who may not read the App Secret gets no generation", func(t *testing.T) {
		refuseSecrets := func(_ context.Context, verb string, resource schema.GroupVersionResource, namespace, name string) error {
			if resource.Resource == "secrets" {
				return errorf("may not %s secrets %s/%s", verb, namespace, name)
			}
			return nil
		}
		fresh := New(Sources{Kube: tokenClient(appSecret)})
		before := tokenRequests.Load()
		_, err := fresh.Generate(context.Background(), scm, Options{Authorize: refuseSecrets})
		if err == nil || !strings.Contains(err.Error(), "may not get secrets team/github-app") {
			t.Errorf("got %v, want the refusal to read the App Secret", err)
		}
		if tokenRequests.Load() != before {
			t.Error("a token was requested for a caller who may not read the App Secret")
		}
	})

	for name, test := range map[string]struct{ secret, want string }{
		"a missing App Secret names the field": {"other-app", "github.appSecretName: read Secret team/other-app"},
		"a Secret without an App names it":     {"scm-token", "github.appSecretName: Secret team/scm-token has no githubAppPrivateKey"},
	} {
		t.Run(name, func(t *testing.T) {
			appSet := appSetFromYAML(t, strings.ReplaceAll(`
generators:
- scmProvider:
    github: {organization: acme, api: "{{URL}}", appSecretName: `+test.secret+`}`, "{{URL}}", server.URL)+scmTemplate)
			_, err := g.Generate(context.Background(), appSet, Options{})
			if err == nil || !strings.Contains(err.Error(), test.want) {
				t.Errorf("got %v, want an error containing %q", err, test.want)
			}
		})
	}
}
