package generators

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// testToken is the credential the fake APIs expect; it must never show up
// in an error.
const testToken = "s3cret-token"

// reply is one canned answer of a fake API: a JSON body (where {{URL}} is
// the server's URL) and response headers.
type reply struct {
	status  int
	body    string
	headers map[string]string
}

// fakeAPI is a loopback server speaking a provider's API from canned
// replies, keyed by escaped path, or "path|param=value" to tell pages
// apart. It answers 401 when authorized refuses the request, 404 for
// unknown paths.
func fakeAPI(t *testing.T, authorized func(*http.Request) bool, routes map[string]reply) *httptest.Server {
	t.Helper()
	var server *httptest.Server
	server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, request *http.Request) {
		if !authorized(request) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"Bad credentials ` + testToken + `"}`))
			return
		}
		path := request.URL.EscapedPath()
		answer, found := reply{}, false
		for key, values := range request.URL.Query() {
			for _, value := range values {
				if candidate, ok := routes[path+"|"+key+"="+value]; ok {
					answer, found = candidate, true
				}
			}
		}
		if !found {
			answer, found = routes[path]
		}
		if !found {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Not Found"}`))
			return
		}
		for key, value := range answer.headers {
			w.Header().Set(key, strings.ReplaceAll(value, "{{URL}}", server.URL))
		}
		w.Header().Set("Content-Type", "application/json")
		if answer.status != 0 {
			w.WriteHeader(answer.status)
		}
		_, _ = w.Write([]byte(strings.ReplaceAll(answer.body, "{{URL}}", server.URL)))
	}))
	t.Cleanup(server.Close)
	return server
}

// authHeader accepts requests whose header has exactly value.
func authHeader(name, value string) func(*http.Request) bool {
	return func(request *http.Request) bool { return request.Header.Get(name) == value }
}

// basicAuth accepts requests with these basic credentials.
func basicAuth(user, password string) func(*http.Request) bool {
	return func(request *http.Request) bool {
		u, p, ok := request.BasicAuth()
		return ok && u == user && p == password
	}
}

// tokenClient is a Kubernetes client holding the token Secret in the
// ApplicationSet's namespace ("team") and objects.
func tokenClient(objects ...runtime.Object) *fake.Clientset {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "scm-token", Namespace: "team"},
		Data:       map[string][]byte{"token": []byte(testToken)},
	}
	return fake.NewClientset(append([]runtime.Object{secret}, objects...)...)
}
