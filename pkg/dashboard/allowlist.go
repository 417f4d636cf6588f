package dashboard

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// kubernetesPrefix is where the app reaches the allow-listed Kubernetes
// paths: /k8s/apis/capstan.dev/... is forwarded as /apis/capstan.dev/...
const kubernetesPrefix = "/k8s/"

// maxBodyBytes bounds a forwarded request body (a sync or rollback request).
const maxBodyBytes = 1 << 20

// route is one allow-listed Kubernetes path: a method, a path pattern and
// the query parameters it may carry.
type route struct {
	method string
	path   *regexp.Regexp
	query  map[string]bool
}

const (
	namePattern  = `[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?`
	capstanGroup = `/apis/capstan\.dev/v1alpha1`
	namespaced   = capstanGroup + `/namespaces/` + namePattern
)

func queryKeys(keys ...string) map[string]bool {
	set := map[string]bool{}
	for _, key := range keys {
		set[key] = true
	}
	return set
}

var (
	// listQuery are what list and watch requests may ask.
	listQuery = queryKeys("watch", "resourceVersion", "resourceVersionMatch", "allowWatchBookmarks", "timeoutSeconds",
		"labelSelector", "fieldSelector", "limit", "continue")
	getQuery    = queryKeys("resourceVersion")
	diffQuery   = queryKeys("revision", "refresh")
	actionQuery = queryKeys("dryRun")
	// liveQuery names one object of an Application's resource tree.
	liveQuery = queryKeys("group", "version", "resourceKind", "namespace", "resourceName")
)

// routes are everything the UI needs from the Kubernetes API, and all it
// may reach: Capstan's resources (list, get, watch), the Application
// subresources, and Events. Everything else is refused: the dashboard is
// no open proxy.
var routes = []route{
	{http.MethodGet, regexp.MustCompile(`^` + capstanGroup + `(/namespaces/` + namePattern + `)?/(applications|applicationsets)$`), listQuery},
	{http.MethodGet, regexp.MustCompile(`^` + namespaced + `/(applications|applicationsets)/` + namePattern + `$`), getQuery},
	{http.MethodGet, regexp.MustCompile(`^` + namespaced + `/applications/` + namePattern + `/(diff|manifests)$`), diffQuery},
	{http.MethodGet, regexp.MustCompile(`^` + namespaced + `/applications/` + namePattern + `/resourcetree$`), nil},
	{http.MethodGet, regexp.MustCompile(`^` + namespaced + `/applications/` + namePattern + `/resource$`), liveQuery},
	{http.MethodGet, regexp.MustCompile(`^` + namespaced + `/applicationsets/` + namePattern + `/preview$`), nil},
	{http.MethodGet, regexp.MustCompile(`^` + capstanGroup + `/appprojects$`), listQuery},
	{http.MethodGet, regexp.MustCompile(`^` + capstanGroup + `/appprojects/` + namePattern + `$`), getQuery},
	{http.MethodPost, regexp.MustCompile(`^` + namespaced + `/applications/` + namePattern + `/(sync|rollback|terminate)$`), actionQuery},
	{http.MethodGet, regexp.MustCompile(`^/api/v1/namespaces/` + namePattern + `/events$`), listQuery},
}

// allowed checks a Kubernetes path (without kubernetesPrefix), its method
// and query against the routes; the error says why it is refused.
func allowed(method, path string, query map[string][]string) error {
	if strings.Contains(path, "..") || strings.Contains(path, "//") {
		return fmt.Errorf("path %q is not allowed", path)
	}
	pathKnown := false
	for _, route := range routes {
		if !route.path.MatchString(path) {
			continue
		}
		pathKnown = true
		if route.method != method {
			continue
		}
		for key := range query {
			if !route.query[key] {
				return fmt.Errorf("query parameter %q is not allowed on %s", key, path)
			}
		}
		return nil
	}
	if pathKnown {
		return fmt.Errorf("method %s is not allowed on %s", method, path)
	}
	return fmt.Errorf("path %q is not allowed: the dashboard forwards only what its pages need", path)
}

// serveKubernetes forwards an allow-listed request to the Kubernetes API as
// the user.
func (s *Server) serveKubernetes(w http.ResponseWriter, r *http.Request) {
	path := "/" + strings.TrimPrefix(r.URL.Path, kubernetesPrefix)
	// The escaped form must be the plain one: no %2F smuggling a slash into a name.
	if r.URL.RawPath != "" && r.URL.RawPath != r.URL.Path {
		writeStatus(w, http.StatusForbidden, "escaped paths are not allowed")
		return
	}
	if err := allowed(r.Method, path, r.URL.Query()); err != nil {
		writeStatus(w, http.StatusForbidden, err.Error())
		return
	}
	if r.Method != http.MethodGet && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeStatus(w, http.StatusUnsupportedMediaType, "the request body must be application/json")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	out := r.Clone(r.Context())
	out.URL.Path, out.URL.RawPath = path, ""
	s.proxy.ServeHTTP(w, out)
}
