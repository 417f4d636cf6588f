package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzAllowed checks that whatever path a page (or an attacker) sends, the
// allow-list lets through only Capstan's resources and Events, reads only,
// but for the three Application actions.
func FuzzAllowed(f *testing.F) {
	for _, seed := range []string{
		"/apis/capstan.dev/v1alpha1/applications", "/apis/capstan.dev/v1alpha1/namespaces/a/applications/b/sync",
		"/api/v1/namespaces/a/events", "/api/v1/namespaces/a/secrets", "/apis/capstan.dev/v1alpha1/namespaces/a/applications/../../x",
	} {
		f.Add("GET", seed, "watch=1")
		f.Add("POST", seed, "")
	}
	f.Fuzz(func(t *testing.T, method, path, rawQuery string) {
		query, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		if allowed(method, path, query) != nil {
			return
		}
		if strings.Contains(path, "..") || strings.Contains(path, "//") {
			t.Fatalf("allowed %s %q", method, path)
		}
		if !strings.HasPrefix(path, "/apis/capstan.dev/v1alpha1/") && !(strings.HasPrefix(path, "/api/v1/namespaces/") && strings.HasSuffix(path, "/events")) {
			t.Fatalf("allowed %s %q outside Capstan's API and Events", method, path)
		}
		switch method {
		case http.MethodGet:
		case http.MethodPost:
			if !strings.HasSuffix(path, "/sync") && !strings.HasSuffix(path, "/rollback") && !strings.HasSuffix(path, "/terminate") {
				t.Fatalf("allowed POST %q", path)
			}
		default:
			t.Fatalf("allowed %s %q", method, path)
		}
	})
}
