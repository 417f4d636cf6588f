package git_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

func TestCachedContentNeverCrossesACredentialBoundary(t *testing.T) {
	const password = "team-a-Pa55word"
	f := newFixture(t, gittest.ServerOptions{Username: "alice", Password: password})
	c := newCache(t, git.Options{})
	ctx := context.Background()
	alice := credentials.Credentials{Username: "alice", Password: password}
	resolved, tree := open(t, c, f.httpURL, "main", alice)
	if got := readFile(t, tree, "README.md"); got != "second\n" {
		t.Fatalf("README.md = %q", got)
	}
	for _, tc := range []struct {
		name  string
		creds credentials.Credentials
	}{
		{"an anonymous caller", credentials.Credentials{}},
		{"a caller with a wrong password", credentials.Credentials{Username: "alice", Password: "guess"}},
	} {
		t.Run(tc.name+" cannot resolve from the shared ref listing", func(t *testing.T) {
			_, err := c.Resolve(ctx, f.httpURL, "main", tc.creds)
			mustBe(t, err, git.ErrAuthentication)
		})
		t.Run(tc.name+" cannot read a fetched commit by its SHA", func(t *testing.T) {
			_, _, err := c.Open(ctx, f.httpURL, resolved.Commit, tc.creds)
			mustBe(t, err, git.ErrAuthentication)
		})
		t.Run(tc.name+" cannot read a fetched commit through another spelling of the URL", func(t *testing.T) {
			_, _, err := c.Open(ctx, strings.ToUpper(f.httpURL[:4])+f.httpURL[4:]+"/", resolved.Commit, tc.creds)
			mustBe(t, err, git.ErrAuthentication)
		})
	}
	t.Run("callers with the same credentials still share one ref listing", func(t *testing.T) {
		before := f.server.Requests()
		for range 5 {
			open(t, c, f.httpURL, "main", credentials.Credentials{Username: "alice", Password: password, SecretName: "another Secret"})
		}
		if after := f.server.Requests(); after.InfoRefs != before.InfoRefs || after.UploadPack != before.UploadPack {
			t.Errorf("requests went from %+v to %+v, want none", before, after)
		}
	})
}

// requestLog records the URLs a Cache requests.
type requestLog struct {
	mu   sync.Mutex
	urls []string
}

func (l *requestLog) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		l.mu.Lock()
		l.urls = append(l.urls, req.URL.String())
		l.mu.Unlock()
		return next.RoundTrip(req)
	})
}

func (l *requestLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.urls...)
}

func TestEverySpellingOfARepositoryFetchesTheCanonicalURL(t *testing.T) {
	f := newFixture(t, gittest.ServerOptions{})
	log := &requestLog{}
	c := newCache(t, git.Options{WrapTransport: log.wrap})
	canonical := strings.TrimSuffix(f.httpURL, ".git")
	spellings := []string{
		strings.Replace(f.httpURL, "http://", "HTTP://", 1) + "?ref=evil",
		f.httpURL,
		canonical + "/",
		f.httpURL + "#/../other",
	}
	var commits []string
	for _, spelling := range spellings {
		c.Invalidate(spelling)
		resolved, _ := open(t, c, spelling, "main", credentials.Credentials{})
		commits = append(commits, resolved.Commit)
	}
	for i, commit := range commits {
		if commit != f.commits["second"].String() {
			t.Errorf("%s resolved to %s", spellings[i], commit)
		}
	}
	for _, requested := range log.list() {
		if !strings.HasPrefix(requested, canonical+"/info/refs?") && requested != canonical+"/git-upload-pack" {
			t.Errorf("requested %s, want only the canonical address %s", requested, canonical)
		}
	}
	if stats := c.Stats(f.httpURL); stats.RefListings != int64(len(spellings)) || stats.Fetches != 1 {
		t.Errorf("stats = %+v, want %d listings and one fetch into one object store", stats, len(spellings))
	}
}

func TestRepoCredsTemplateDoesNotReachAnotherHost(t *testing.T) {
	const password = "template-Pa55word"
	// The evil server records whether it was sent credentials.
	var mu sync.Mutex
	var authorizations []string
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		authorizations = append(authorizations, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="evil"`)
		http.Error(w, "send me your password", http.StatusUnauthorized)
	}))
	t.Cleanup(evil.Close)
	legit := newFixture(t, gittest.ServerOptions{Username: "bot", Password: password})
	evilPort := evil.URL[strings.LastIndex(evil.URL, ":")+1:]
	legitBase := legit.server.URL

	template := func(url string) *corev1.Secret {
		return &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "corp-creds", Namespace: "capstan",
				Labels: map[string]string{credentials.SecretTypeLabel: credentials.SecretTypeRepoCreds}},
			Data: map[string][]byte{"url": []byte(url), "username": []byte("bot"), "password": []byte(password)},
		}
	}
	ctx := context.Background()
	for _, tc := range []struct{ name, template, repoURL string }{
		// "http://127.0.0.1:45" is a string prefix of "http://127.0.0.1:45678/x", as
		// "https://git.corp" is of "https://git.corp.evil.io/x".
		{"a template for a host does not cover a host whose name extends it",
			"http://127.0.0.1:" + evilPort[:2], evil.URL + "/x.git"},
		{"a template for a directory does not cover a sibling whose name extends it",
			evil.URL + "/team", evil.URL + "/team-evil/x.git"},
		{"a template for a directory does not cover a path that climbs out of it",
			evil.URL + "/team", evil.URL + "/team/../other/x.git"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			authorizations = nil
			mu.Unlock()
			creds, _, err := credentials.Find([]*corev1.Secret{template(tc.template)}, tc.repoURL, credentials.LookupOptions{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = newCache(t, git.Options{}).Resolve(ctx, tc.repoURL, "main", creds)
			mustBe(t, err, git.ErrAuthentication)
			mu.Lock()
			defer mu.Unlock()
			if len(authorizations) == 0 {
				t.Fatal("the evil server was not asked")
			}
			for _, authorization := range authorizations {
				if authorization != "" {
					t.Errorf("the evil server received credentials: %q", authorization)
				}
			}
		})
	}
	t.Run("the template still serves the repositories below it", func(t *testing.T) {
		creds, found, err := credentials.Find([]*corev1.Secret{template(legitBase)}, legit.httpURL, credentials.LookupOptions{})
		if err != nil || !found {
			t.Fatalf("Find = %v, %v", found, err)
		}
		_, tree := open(t, newCache(t, git.Options{}), legit.httpURL, "main", creds)
		if got := readFile(t, tree, "README.md"); got != "second\n" {
			t.Errorf("README.md = %q", got)
		}
	})
}
