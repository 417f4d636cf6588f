// Package dashboard is Capstan's web UI backend, run on loopback by
// `kubectl capstan dashboard`: it serves the embedded single-page app and a
// narrow API that acts only as the user, with the user's kubeconfig. It holds
// no privileges of its own: allow-listed Kubernetes paths are forwarded
// as they are (see allowlist.go), a few actions that need more than one call
// (the resource tree, a live object of it, refresh, delete with a cascade
// choice) are done with the user's clients (see actions.go), and every
// request passes the same-origin and CSRF guard (see guard.go).
package dashboard

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"

	"k8s.io/client-go/rest"

	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
)

// Options configure the dashboard.
type Options struct {
	// Config reaches the Kubernetes API as the user (the kubeconfig's
	// context, with impersonation when it asks for it).
	Config *rest.Config
	// Hosts are the Host header values the dashboard answers to, such as
	// "127.0.0.1:8080" and "localhost:8080": any other is refused, so that a
	// page of another site cannot reach it by DNS rebinding.
	Hosts []string
	// Namespace is the kubeconfig's namespace: the list shows it to a user
	// who may not list Applications in every namespace.
	Namespace string
}

// Server is the dashboard's HTTP handler.
type Server struct {
	hosts     map[string]bool
	token     string
	namespace string
	proxy     *httputil.ReverseProxy
	capstan   clientset.Interface
	mux       *http.ServeMux
}

var _ http.Handler = &Server{}

// New builds the dashboard for the user of opts.Config, with a fresh CSRF
// token.
func New(opts Options) (*Server, error) {
	if len(opts.Hosts) == 0 {
		return nil, fmt.Errorf("dashboard: no host to answer to")
	}
	token := make([]byte, 32)
	if _, err := rand.Read(token); err != nil {
		return nil, fmt.Errorf("dashboard: CSRF token: %w", err)
	}
	proxy, err := newProxy(opts.Config)
	if err != nil {
		return nil, err
	}
	capstan, err := clientset.NewForConfig(opts.Config)
	if err != nil {
		return nil, fmt.Errorf("dashboard: Capstan client: %w", err)
	}
	s := &Server{
		hosts: map[string]bool{}, token: hex.EncodeToString(token), namespace: opts.Namespace, proxy: proxy,
		capstan: capstan, mux: http.NewServeMux(),
	}
	for _, host := range opts.Hosts {
		s.hosts[host] = true
	}
	s.mux.Handle("GET /{$}", http.HandlerFunc(s.serveIndex))
	s.mux.Handle("GET /assets/", assetHandler())
	s.mux.Handle(kubernetesPrefix, http.HandlerFunc(s.serveKubernetes))
	s.routeActions()
	return s, nil
}

// ServeHTTP guards every request, then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if refusal := s.refuse(r); refusal != "" {
		writeStatus(w, http.StatusForbidden, refusal)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Token is the CSRF token every non-GET request must carry; the index page
// gives it to the app.
func (s *Server) Token() string { return s.token }

// newProxy forwards to the Kubernetes API with the user's transport
// (credentials, TLS, impersonation), streaming watches as they come.
func newProxy(config *rest.Config) (*httputil.ReverseProxy, error) {
	transport, err := rest.TransportFor(config)
	if err != nil {
		return nil, fmt.Errorf("dashboard: transport to the Kubernetes API: %w", err)
	}
	host := config.Host
	if host == "" {
		return nil, fmt.Errorf("dashboard: the kubeconfig names no server")
	}
	target, err := url.Parse(host)
	if err != nil || target.Scheme == "" || target.Host == "" {
		// A bare host:port means HTTPS, as in client-go.
		if target, err = url.Parse("https://" + host); err != nil {
			return nil, fmt.Errorf("dashboard: server %q: %w", host, err)
		}
	}
	return &httputil.ReverseProxy{
		Transport:     transport,
		FlushInterval: -1,
		Rewrite: func(request *httputil.ProxyRequest) {
			request.SetURL(target)
			header := http.Header{}
			for _, name := range []string{"Accept", "Content-Type"} {
				if value := request.In.Header.Get(name); value != "" {
					header.Set(name, value)
				}
			}
			request.Out.Header = header
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			writeStatus(w, http.StatusBadGateway, "the Kubernetes API could not be reached")
		},
	}, nil
}
