package credentials_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"strings"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"capstan.dev/capstan/pkg/source/credentials"
)

func secret(name, kind string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "capstan",
			Labels: map[string]string{credentials.SecretTypeLabel: kind}},
		Data: map[string][]byte{},
	}
	for key, value := range data {
		s.Data[key] = []byte(value)
	}
	return s
}

func TestFind(t *testing.T) {
	secrets := []*corev1.Secret{
		secret("org-creds", credentials.SecretTypeRepoCreds, map[string]string{
			"url": "https://git.example.com/org", "username": "org-bot", "password": "org-pass"}),
		secret("team-creds", credentials.SecretTypeRepoCreds, map[string]string{
			"url": "https://git.example.com/org/team", "username": "team-bot", "password": "team-pass"}),
		secret("app-repo", credentials.SecretTypeRepository, map[string]string{
			"url": "https://git.example.com/org/team/app.git", "username": "app-bot", "password": "app-pass", "depth": "1"}),
		secret("bare-repo", credentials.SecretTypeRepository, map[string]string{
			"url": "https://git.example.com/org/team/bare", "insecure": "true"}),
		secret("charts", credentials.SecretTypeRepository, map[string]string{
			"url": "https://charts.example.com", "type": "helm", "username": "chart-bot", "password": "chart-pass"}),
		secret("scoped", credentials.SecretTypeRepository, map[string]string{
			"url": "https://git.example.com/private/repo", "project": "secret-project", "password": "scoped-pass"}),
		secret("unlabelled", "cluster", map[string]string{"url": "https://git.example.com/org/team/app"}),
	}
	cases := []struct {
		name     string
		url      string
		opts     credentials.LookupOptions
		found    bool
		username string
		insecure bool
	}{
		{"an exact match ignores .git, a trailing slash and host case", "https://GIT.example.com/org/team/app/", credentials.LookupOptions{}, true, "app-bot", false},
		{"the longest template prefix wins", "https://git.example.com/org/team/other", credentials.LookupOptions{}, true, "team-bot", false},
		{"a shorter template serves the rest of the prefix", "https://git.example.com/org/elsewhere", credentials.LookupOptions{}, true, "org-bot", false},
		{"a repository Secret without credentials takes them from the template", "https://git.example.com/org/team/bare.git", credentials.LookupOptions{}, true, "team-bot", true},
		{"nothing matches an unrelated host", "https://other.example.com/org/team/app", credentials.LookupOptions{}, false, "", false},
		{"a template does not cover a longer host name", "https://git.example.com.evil.io/org/team/app", credentials.LookupOptions{}, false, "", false},
		{"a template does not cover another port", "https://git.example.com:8443/org/team/app", credentials.LookupOptions{}, false, "", false},
		{"a template does not cover a longer path segment", "https://git.example.com/organization/app", credentials.LookupOptions{}, false, "", false},
		{"a template does not cover a path that climbs out of it", "https://git.example.com/org/../private/repo", credentials.LookupOptions{}, false, "", false},
		{"a type filter skips Secrets of another type", "https://charts.example.com", credentials.LookupOptions{Type: credentials.TypeGit}, false, "", false},
		{"a type filter admits Secrets of that type", "https://charts.example.com/", credentials.LookupOptions{Type: credentials.TypeHelm}, true, "chart-bot", false},
		{"a Secret without a type is a git Secret", "https://git.example.com/org/team/app", credentials.LookupOptions{Type: credentials.TypeHelm}, false, "", false},
		{"a project-scoped Secret is hidden from other projects", "https://git.example.com/private/repo", credentials.LookupOptions{Project: "default"}, false, "", false},
		{"a project-scoped Secret serves its project", "https://git.example.com/private/repo", credentials.LookupOptions{Project: "secret-project"}, true, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			creds, found, err := credentials.Find(secrets, tc.url, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if found != tc.found || creds.Username != tc.username || creds.Insecure != tc.insecure {
				t.Errorf("Find = %v, found %v; want username %q, insecure %v, found %v",
					creds, found, tc.username, tc.insecure, tc.found)
			}
		})
	}
	t.Run("a template match carries the repository URL", func(t *testing.T) {
		creds, _, _ := credentials.Find(secrets, "https://git.example.com/org/x", credentials.LookupOptions{})
		if creds.URL != "https://git.example.com/org/x" {
			t.Errorf("URL = %q", creds.URL)
		}
	})
	t.Run("the depth of a repository Secret is read", func(t *testing.T) {
		creds, _, _ := credentials.Find(secrets, "https://git.example.com/org/team/app", credentials.LookupOptions{})
		if creds.Depth != 1 {
			t.Errorf("Depth = %d", creds.Depth)
		}
	})
	t.Run("a malformed matching Secret is an error naming it", func(t *testing.T) {
		bad := []*corev1.Secret{secret("broken", credentials.SecretTypeRepository, map[string]string{
			"url": "https://x.example.com/r", "insecure": "yes please"})}
		_, _, err := credentials.Find(bad, "https://x.example.com/r", credentials.LookupOptions{})
		if err == nil || !strings.Contains(err.Error(), "capstan/broken") {
			t.Errorf("error = %v", err)
		}
	})
}

func TestSecretStoreReadsFromALister(t *testing.T) {
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, s := range []*corev1.Secret{
		secret("repo", credentials.SecretTypeRepository, map[string]string{"url": "https://git.example.com/a", "password": "p4ss"}),
	} {
		if err := indexer.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	store := credentials.NewSecretStore(corev1listers.NewSecretLister(indexer).Secrets("capstan"))
	creds, err := store.Lookup("https://git.example.com/a.git", credentials.LookupOptions{})
	if err != nil || creds.Password != "p4ss" {
		t.Errorf("Lookup = %v, %v", creds, err)
	}
	anonymous, err := store.Lookup("https://git.example.com/b", credentials.LookupOptions{})
	if err != nil || anonymous.HasCredentials() || anonymous.URL != "https://git.example.com/b" {
		t.Errorf("Lookup of an unknown repository = %v, %v", anonymous, err)
	}
}

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	creds := credentials.Credentials{
		URL: "https://token-user:url-pass@git.example.com/r", Username: "bot", Password: "hunter2-password",
		BearerToken: "bearer-token-value", SSHPrivateKey: "-----BEGIN KEY----- private-key-material",
		TLSClientCertKey: "tls-key-material",
	}
	encoded, _ := json.Marshal(struct{ Creds credentials.Credentials }{creds})
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", creds), "%+v": fmt.Sprintf("%+v", creds), "%#v": fmt.Sprintf("%#v", creds),
		"%s": fmt.Sprintf("%s", creds), "%q": fmt.Sprintf("%q", creds), "pointer %v": fmt.Sprintf("%v", &creds),
		"json": string(encoded), "MarshalLog": fmt.Sprint(creds.MarshalLog()),
	}
	for format, output := range outputs {
		for _, secret := range []string{"hunter2-password", "bearer-token-value", "private-key-material", "tls-key-material", "url-pass", "token-user"} {
			if strings.Contains(output, secret) {
				t.Errorf("%s reveals %q: %s", format, secret, output)
			}
		}
	}
	if !strings.Contains(outputs["%v"], "username=bot") || !strings.Contains(outputs["%v"], "password=<redacted>") {
		t.Errorf("String() does not describe the credentials: %s", outputs["%v"])
	}
	if got := creds.Scrub("failed with hunter2-password at https://u:p@host/x"); strings.Contains(got, "hunter2") || strings.Contains(got, "u:p@") {
		t.Errorf("Scrub left a secret: %q", got)
	}
}

func TestGitAuth(t *testing.T) {
	t.Run("username and password become HTTP basic auth", func(t *testing.T) {
		auth, err := credentials.Credentials{Username: "u", Password: "p"}.GitAuth("https://git.example.com/r")
		basic, ok := auth.(*githttp.BasicAuth)
		if err != nil || !ok || basic.Username != "u" || basic.Password != "p" {
			t.Errorf("GitAuth = %#v, %v", auth, err)
		}
	})
	t.Run("no credentials is anonymous", func(t *testing.T) {
		auth, err := credentials.Credentials{}.GitAuth("https://git.example.com/r")
		if err != nil || auth != nil {
			t.Errorf("GitAuth = %#v, %v", auth, err)
		}
	})
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		t.Fatal(err)
	}
	privateKey := string(pem.EncodeToMemory(block))
	signer, _ := ssh.NewSignerFromKey(key)
	hostKey := signer.PublicKey()
	t.Run("an SSH key is verified against known hosts", func(t *testing.T) {
		known, err := credentials.KnownHostsFromConfigMap(map[string]string{
			credentials.KnownHostsKey: "git.example.com " + string(ssh.MarshalAuthorizedKey(hostKey)),
		})
		if err != nil {
			t.Fatal(err)
		}
		creds := credentials.Credentials{SSHPrivateKey: privateKey, KnownHosts: known}
		auth, err := creds.GitAuth("git@git.example.com:org/repo.git")
		keys, ok := auth.(*gitssh.PublicKeys)
		if err != nil || !ok || keys.User != "git" {
			t.Fatalf("GitAuth = %#v, %v", auth, err)
		}
		address := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22}
		if err := keys.HostKeyCallback("git.example.com:22", address, hostKey); err != nil {
			t.Errorf("the known host key was refused: %v", err)
		}
		if err := keys.HostKeyCallback("other.example.com:22", address, hostKey); err == nil {
			t.Error("an unknown host was accepted")
		}
	})
	t.Run("SSH without known hosts is refused unless host keys are ignored", func(t *testing.T) {
		_, err := credentials.Credentials{SSHPrivateKey: privateKey}.GitAuth("ssh://git@git.example.com/r")
		if err == nil {
			t.Error("GitAuth without known hosts succeeded")
		}
		auth, err := credentials.Credentials{SSHPrivateKey: privateKey, InsecureIgnoreHostKey: true}.GitAuth("ssh://git@git.example.com/r")
		if err != nil || auth == nil {
			t.Errorf("GitAuth with insecureIgnoreHostKey = %v, %v", auth, err)
		}
	})
	t.Run("a bad key is an error that quotes no key material", func(t *testing.T) {
		_, err := credentials.Credentials{SSHPrivateKey: "not-a-key-secret", InsecureIgnoreHostKey: true}.GitAuth("ssh://git@h/r")
		if err == nil || strings.Contains(err.Error(), "not-a-key-secret") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("insecure turns off TLS verification", func(t *testing.T) {
		config, err := credentials.Credentials{Insecure: true}.TLSConfig()
		if err != nil || config == nil || !config.InsecureSkipVerify {
			t.Errorf("TLSConfig = %v, %v", config, err)
		}
		if config, _ := (credentials.Credentials{}).TLSConfig(); config != nil {
			t.Errorf("default TLSConfig = %v, want nil", config)
		}
	})
}

func TestIdentityNamesTheCredentialMaterial(t *testing.T) {
	alice := credentials.Credentials{Username: "alice", Password: "alice-pass"}
	for _, tc := range []struct {
		name string
		a, b credentials.Credentials
		same bool
	}{
		{"the same material has the same identity", alice, credentials.Credentials{Username: "alice", Password: "alice-pass", SecretName: "other"}, true},
		{"transport options are not credentials", alice, credentials.Credentials{Username: "alice", Password: "alice-pass", Insecure: true, Depth: 1}, true},
		{"another password is another identity", alice, credentials.Credentials{Username: "alice", Password: "bob-pass"}, false},
		{"fields do not run into each other", credentials.Credentials{Username: "ab", Password: "c"}, credentials.Credentials{Username: "a", Password: "bc"}, false},
		{"a bearer token is an identity", alice, credentials.Credentials{BearerToken: "alice-pass"}, false},
		{"an SSH key is an identity", credentials.Credentials{SSHPrivateKey: "key-1"}, credentials.Credentials{SSHPrivateKey: "key-2"}, false},
		{"a TLS client certificate is an identity", credentials.Credentials{TLSClientCertData: "cert", TLSClientCertKey: "k1"}, credentials.Credentials{TLSClientCertData: "cert", TLSClientCertKey: "k2"}, false},
		{"credentials in the URL are an identity", credentials.Credentials{}.WithURLUserinfo("https://alice:alice-pass@host/r"), alice, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if same := tc.a.Identity() == tc.b.Identity(); same != tc.same {
				t.Errorf("Identity %q and %q: same = %v, want %v", tc.a.Identity(), tc.b.Identity(), same, tc.same)
			}
		})
	}
	t.Run("anonymous access has the empty identity", func(t *testing.T) {
		if id := (credentials.Credentials{URL: "https://host/r", Insecure: true}).Identity(); id != "" {
			t.Errorf("Identity = %q", id)
		}
	})
	t.Run("an identity is a SHA-256 that reveals nothing", func(t *testing.T) {
		id := alice.Identity()
		if len(id) != 64 || strings.Contains(id, "alice") {
			t.Errorf("Identity = %q", id)
		}
	})
}
