package e2e

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestAnApplicationReadsAPrivateRepositoryAsAGitHubAppInstallation(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	const token = "ghs_e2e-installation-token"
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	// A loopback stand-in for a GitHub Enterprise Server's token endpoint:
	// it answers the installation token to a JWT the App's key signed.
	var minted atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jwt := strings.Split(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), ".")
		if r.Method != http.MethodPost || r.URL.Path != "/api/v3/app/installations/42/access_tokens" || len(jwt) != 3 {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		signature, _ := base64.RawURLEncoding.DecodeString(jwt[2])
		digest := sha256.Sum256([]byte(jwt[0] + "." + jwt[1]))
		if rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], signature) != nil {
			http.Error(w, `{"message":"A JSON web token could not be decoded"}`, http.StatusUnauthorized)
			return
		}
		minted.Add(1)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"token":%q,"expires_at":%q}`, token, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	}))
	t.Cleanup(api.Close)
	repo := newPrivateGitRepo(t, map[string]string{"viaapp/cm.yaml": configMap("viaapp", "from-the-app")}, "x-access-token", token)

	out, code := capstanWith(t, nil, "", "repo", "add", repo.URL, "--github-app-id", "7", "--github-app-installation-id", "42",
		"--github-app-private-key-path", keyFile, "--github-app-enterprise-base-url", api.URL+"/api/v3")
	if code != 0 {
		t.Fatalf("repo add: exit code %d\n%s", code, out)
	}
	secret := secretNamed(t, out)
	t.Cleanup(func() { _, _ = tryKubectl("delete", "secret", secret, "-n", "capstan-system", "--ignore-not-found") })
	if strings.Contains(out, "PRIVATE KEY") {
		t.Errorf("the key was printed:\n%s", out)
	}

	kubectlWithInput(t, configMapApplication(ns, "viaapp", repo.URL), "apply", "-f", "-")
	eventually(t, 2*time.Minute, "the ConfigMap of the private repository", func() (bool, error) {
		got, err := tryKubectl("get", "configmap", "viaapp", "-n", ns, "-o", "jsonpath={.data.value}")
		return got == "from-the-app", fmt.Errorf("ConfigMap %q (%v); Application: %s", got, err,
			tryOutput("get", "app", "viaapp", "-n", ns, "-o", "jsonpath={.status.conditions}"))
	})
	if minted.Load() == 0 {
		t.Error("the repository was read without an installation token from the App's API")
	}

	t.Run("an App the API refuses is a condition naming the Secret, without the key", func(t *testing.T) {
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		otherFile := filepath.Join(t.TempDir(), "other.pem")
		if err := os.WriteFile(otherFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)}), 0o600); err != nil {
			t.Fatal(err)
		}
		wrong := newPrivateGitRepo(t, map[string]string{"wrongapp/cm.yaml": configMap("wrongapp", "never")}, "x-access-token", token)
		out, code := capstanWith(t, nil, "", "repo", "add", wrong.URL, "--github-app-id", "7", "--github-app-installation-id", "42",
			"--github-app-private-key-path", otherFile, "--github-app-enterprise-base-url", api.URL+"/api/v3")
		if code != 0 {
			t.Fatalf("repo add: exit code %d\n%s", code, out)
		}
		wrongSecret := secretNamed(t, out)
		t.Cleanup(func() {
			_, _ = tryKubectl("delete", "secret", wrongSecret, "-n", "capstan-system", "--ignore-not-found")
		})
		kubectlWithInput(t, configMapApplication(ns, "wrongapp", wrong.URL), "apply", "-f", "-")
		eventually(t, 2*time.Minute, "a comparison error naming the App's Secret", func() (bool, error) {
			got, err := tryKubectl("get", "app", "wrongapp", "-n", ns, "-o", "jsonpath={.status.conditions}")
			return strings.Contains(got, "GitHub App installation token for Secret capstan-system/"+wrongSecret) && strings.Contains(got, "HTTP 401"),
				fmt.Errorf("conditions %s (%v)", got, err)
		})
		got := kubectl(t, "get", "app", "wrongapp", "-n", ns, "-o", "json")
		if strings.Contains(got, "PRIVATE KEY") || strings.Contains(got, "JSON web token") {
			t.Errorf("the Application shows the key or the API's text:\n%s", got)
		}
	})
}
