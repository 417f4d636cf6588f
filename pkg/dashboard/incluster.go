package dashboard

import (
	"net/http"
	"strings"
)

// InClusterPath is where capstan-apiserver serves the dashboard: the
// subresource "ui" of the virtual resource dashboards/capstan in the
// capstan.dev API group, so that the Kubernetes API server's aggregator
// proxies it and RBAC authorizes it as `get dashboards/ui`. Reached through
// `kubectl proxy` (or any authenticating proxy) at
// http://127.0.0.1:8001/apis/capstan.dev/v1alpha1/dashboards/capstan/ui/.
const InClusterPath = "/apis/capstan.dev/v1alpha1/dashboards/capstan/ui"

// dashboardsPath is the collection of the virtual resource.
const dashboardsPath = "/apis/capstan.dev/v1alpha1/dashboards"

// InCluster serves the dashboard's page and assets under InClusterPath and
// passes every other request to next. It is put inside the API server's
// handler chain, after authentication and authorization, so a user without
// `get dashboards/ui` is refused before it runs.
//
// It serves static files only: the page then calls the Kubernetes API
// relative to the proxy's root, through the same proxy, so every call is the
// viewing user's own request; capstan-apiserver forwards nothing and acts
// with no privileges of its own.
func InCluster(next http.Handler) http.Handler {
	files := http.StripPrefix(InClusterPath, assetHandler())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if path != dashboardsPath && !strings.HasPrefix(path, dashboardsPath+"/") {
			next.ServeHTTP(w, r)
			return
		}
		setSecurityHeaders(w.Header())
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeStatus(w, http.StatusMethodNotAllowed, "the dashboard is read only: its page sends its changes to the Kubernetes API")
			return
		}
		switch {
		case path == InClusterPath:
			// Relative, so that it holds behind any proxy prefix
			// (http.Redirect would make it absolute).
			w.Header().Set("Location", "ui/")
			w.WriteHeader(http.StatusMovedPermanently)
		case path == InClusterPath+"/":
			serveIndexPage(w, indexData{Mode: "cluster"})
		case strings.HasPrefix(path, InClusterPath+"/assets/"):
			files.ServeHTTP(w, r)
		default:
			writeStatus(w, http.StatusNotFound, "the dashboard is served at "+InClusterPath+"/")
		}
	})
}
