package dashboard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestInClusterServesOnlyThePageAndItsAssets(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	handler := InCluster(next)
	tests := []struct {
		name, method, path string
		code               int
		body, location     string
	}{
		{name: "the page says it is served in the cluster and carries no token", method: "GET", path: InClusterPath + "/", code: 200,
			body: `<meta name="capstan-mode" content="cluster">`},
		{name: "the page's assets are relative to it", method: "GET", path: InClusterPath + "/", code: 200, body: `src="assets/app.js"`},
		{name: "the script is served", method: "GET", path: InClusterPath + "/assets/app.js", code: 200},
		{name: "the path without a slash is redirected relatively", method: "GET", path: InClusterPath, code: 301, location: "ui/"},
		{name: "a POST is refused", method: "POST", path: InClusterPath + "/", code: 405, body: "read only"},
		{name: "another dashboard name is not found", method: "GET", path: "/apis/capstan.dev/v1alpha1/dashboards/other/ui/", code: 404, body: InClusterPath},
		{name: "a path outside the assets is not found", method: "GET", path: InClusterPath + "/../../applications", code: 404},
		{name: "the API's own paths go to the API", method: "GET", path: "/apis/capstan.dev/v1alpha1/applications", code: http.StatusTeapot},
		{name: "a resource whose name starts like dashboards goes to the API", method: "GET", path: "/apis/capstan.dev/v1alpha1/dashboardsx", code: http.StatusTeapot},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			recorder := httptest.NewRecorder()
			request := httptest.NewRequest(test.method, "https://capstan.example"+test.path, nil)
			request.URL.Path = test.path
			handler.ServeHTTP(recorder, request)
			if recorder.Code != test.code || !strings.Contains(recorder.Body.String(), test.body) {
				t.Fatalf("got %d %s, want %d with %q", recorder.Code, recorder.Body, test.code, test.body)
			}
			if got := recorder.Header().Get("Location"); got != test.location {
				t.Errorf("Location %q, want %q", got, test.location)
			}
			if test.code != http.StatusTeapot && recorder.Header().Get("X-Frame-Options") != "DENY" {
				t.Error("the dashboard's answer lacks its security headers")
			}
		})
	}
}
