package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
)

func TestAllowedForwardsOnlyWhatThePagesNeed(t *testing.T) {
	apps := "/apis/capstan.dev/v1alpha1/namespaces/team-a/applications"
	tests := []struct {
		name   string
		method string
		path   string
		query  string
		refuse string
	}{
		{name: "applications of every namespace may be listed", method: "GET", path: "/apis/capstan.dev/v1alpha1/applications"},
		{name: "applications may be watched", method: "GET", path: apps, query: "watch=1&resourceVersion=12&allowWatchBookmarks=true"},
		{name: "an application may be read", method: "GET", path: apps + "/guestbook"},
		{name: "the diff may be read with a revision", method: "GET", path: apps + "/guestbook/diff", query: "revision=main&refresh=hard"},
		{name: "the manifests may be read", method: "GET", path: apps + "/guestbook/manifests"},
		{name: "a sync may be requested", method: "POST", path: apps + "/guestbook/sync"},
		{name: "a rollback may be requested", method: "POST", path: apps + "/guestbook/rollback", query: "dryRun=All"},
		{name: "an operation may be terminated", method: "POST", path: apps + "/guestbook/terminate"},
		{name: "applicationsets may be listed", method: "GET", path: "/apis/capstan.dev/v1alpha1/applicationsets"},
		{name: "an applicationset preview may be read", method: "GET", path: "/apis/capstan.dev/v1alpha1/namespaces/team-a/applicationsets/shop/preview"},
		{name: "appprojects may be listed and read", method: "GET", path: "/apis/capstan.dev/v1alpha1/appprojects/default"},
		{name: "events of a namespace may be listed", method: "GET", path: "/api/v1/namespaces/team-a/events", query: "fieldSelector=involvedObject.name%3Dx"},
		{name: "secrets are refused", method: "GET", path: "/api/v1/namespaces/team-a/secrets", refuse: "is not allowed"},
		{name: "pods are refused", method: "GET", path: "/api/v1/namespaces/team-a/pods/x", refuse: "is not allowed"},
		{name: "an application cannot be updated through the proxy", method: "PUT", path: apps + "/guestbook", refuse: "method PUT is not allowed"},
		{name: "an application cannot be patched through the proxy", method: "PATCH", path: apps + "/guestbook", refuse: "method PATCH is not allowed"},
		{name: "an application cannot be deleted through the proxy", method: "DELETE", path: apps + "/guestbook", refuse: "method DELETE is not allowed"},
		{name: "applications cannot be created", method: "POST", path: apps, refuse: "method POST is not allowed"},
		{name: "the status subresource is refused", method: "GET", path: apps + "/guestbook/status", refuse: "is not allowed"},
		{name: "a dot-dot path is refused", method: "GET", path: apps + "/../../../../api/v1/secrets", refuse: "is not allowed"},
		{name: "an unknown query parameter is refused", method: "GET", path: apps, query: "fieldManager=x", refuse: `query parameter "fieldManager"`},
		{name: "an upper-case name is refused", method: "GET", path: apps + "/Guestbook", refuse: "is not allowed"},
		{name: "another API group is refused", method: "GET", path: "/apis/apps/v1/deployments", refuse: "is not allowed"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			query, _ := url.ParseQuery(test.query)
			err := allowed(test.method, test.path, query)
			switch {
			case test.refuse == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case test.refuse != "" && err == nil:
				t.Fatal("allowed")
			case test.refuse != "" && !strings.Contains(err.Error(), test.refuse):
				t.Fatalf("error %q lacks %q", err, test.refuse)
			}
		})
	}
}

// upstream is a stand-in Kubernetes API on loopback that records what the
// dashboard forwarded.
type upstream struct {
	mu       sync.Mutex
	requests []*http.Request
	server   *httptest.Server
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	u.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.requests = append(u.requests, r.Clone(r.Context()))
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"kind":"Status","code":200}`)
	}))
	t.Cleanup(u.server.Close)
	return u
}

func (u *upstream) seen() []*http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*http.Request(nil), u.requests...)
}

const testHost = "127.0.0.1:8080"

func newTestServer(t *testing.T, u *upstream) *Server {
	t.Helper()
	s, err := New(Options{Config: &rest.Config{Host: u.server.URL, BearerToken: "user-token"}, Hosts: []string{testHost, "localhost:8080"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func serve(s *Server, r *http.Request) *httptest.ResponseRecorder {
	recorder := httptest.NewRecorder()
	s.ServeHTTP(recorder, r)
	return recorder
}

func TestTheGuardRefusesCrossSiteAndForgedRequests(t *testing.T) {
	u := newUpstream(t)
	s := newTestServer(t, u)
	syncPath := "/k8s/apis/capstan.dev/v1alpha1/namespaces/team-a/applications/guestbook/sync"
	post := func(mutate func(r *http.Request)) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "http://"+testHost+syncPath, strings.NewReader(`{"spec":{}}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Origin", "http://"+testHost)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set(TokenHeader, s.Token())
		mutate(r)
		return r
	}
	tests := []struct {
		name    string
		request *http.Request
		code    int
		message string
	}{
		{name: "a request for another host name is refused (DNS rebinding)",
			request: post(func(r *http.Request) {
				r.Host = "attacker.example:8080"
				r.Header.Set("Origin", "http://attacker.example:8080")
			}),
			code: 403, message: "answers only to its own address"},
		{name: "a GET for another host name is refused too",
			request: httptest.NewRequest(http.MethodGet, "http://attacker.example:8080/k8s/apis/capstan.dev/v1alpha1/applications", nil),
			code:    403, message: "answers only to its own address"},
		{name: "a cross-site request is refused",
			request: post(func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }),
			code:    403, message: "cross-site requests are refused"},
		{name: "a POST without an Origin is refused",
			request: post(func(r *http.Request) { r.Header.Del("Origin") }),
			code:    403, message: "must say its origin"},
		{name: "a POST from another origin is refused",
			request: post(func(r *http.Request) { r.Header.Set("Origin", "http://localhost:9999") }),
			code:    403, message: "cross-origin requests are refused"},
		{name: "a POST without the CSRF token is refused",
			request: post(func(r *http.Request) { r.Header.Del(TokenHeader) }),
			code:    403, message: "CSRF token is missing or wrong"},
		{name: "a POST with a wrong CSRF token is refused",
			request: post(func(r *http.Request) { r.Header.Set(TokenHeader, strings.Repeat("0", 64)) }),
			code:    403, message: "CSRF token is missing or wrong"},
		{name: "a POST of a form is refused",
			request: post(func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") }),
			code:    415, message: "must be application/json"},
		{name: "a path outside the allow-list is refused",
			request: httptest.NewRequest(http.MethodGet, "http://"+testHost+"/k8s/api/v1/namespaces/team-a/secrets", nil),
			code:    403, message: "is not allowed"},
		{name: "an escaped slash is refused",
			request: httptest.NewRequest(http.MethodGet, "http://"+testHost+"/k8s/apis/capstan.dev/v1alpha1/namespaces/team-a/applications/a%2Fb", nil),
			code:    403, message: "escaped paths are not allowed"},
		{name: "a DELETE of the refresh action is refused",
			request: post(func(r *http.Request) { r.Method = http.MethodDelete; r.URL.Path = "/ui/refresh/team-a/guestbook" }),
			code:    405},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			response := serve(s, test.request)
			if response.Code != test.code || !strings.Contains(response.Body.String(), test.message) {
				t.Fatalf("got %d %s, want %d with %q", response.Code, response.Body, test.code, test.message)
			}
		})
	}
	if seen := u.seen(); len(seen) != 0 {
		t.Fatalf("the API received %d refused requests: first %s %s", len(seen), seen[0].Method, seen[0].URL)
	}

	t.Run("a same-origin POST with the token is forwarded as the user, without the browser's headers", func(t *testing.T) {
		response := serve(s, post(func(r *http.Request) { r.Header.Set("Cookie", "session=x") }))
		if response.Code != http.StatusOK {
			t.Fatalf("got %d %s", response.Code, response.Body)
		}
		seen := u.seen()
		if len(seen) != 1 {
			t.Fatalf("the API received %d requests", len(seen))
		}
		forwarded := seen[0]
		if forwarded.URL.Path != strings.TrimPrefix(syncPath, "/k8s") || forwarded.Method != http.MethodPost {
			t.Errorf("forwarded %s %s", forwarded.Method, forwarded.URL.Path)
		}
		if got := forwarded.Header.Get("Authorization"); got != "Bearer user-token" {
			t.Errorf("Authorization %q, want the user's token", got)
		}
		for _, header := range []string{"Cookie", "Origin", TokenHeader} {
			if got := forwarded.Header.Get(header); got != "" {
				t.Errorf("forwarded %s: %q", header, got)
			}
		}
	})
	t.Run("the index page carries the token and forbids framing", func(t *testing.T) {
		response := serve(s, httptest.NewRequest(http.MethodGet, "http://"+testHost+"/", nil))
		if response.Code != http.StatusOK || !strings.Contains(response.Body.String(), `content="`+s.Token()+`"`) {
			t.Fatalf("got %d %s", response.Code, response.Body)
		}
		if got := response.Header().Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("X-Frame-Options %q", got)
		}
	})
}
