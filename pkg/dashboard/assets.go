package dashboard

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

// assets are the built app (`make ui` writes them from web/); index.html is
// a template that receives the CSRF token.
//
//go:embed assets
var assets embed.FS

var indexTemplate = template.Must(template.ParseFS(assets, "assets/index.html"))

// assetHandler serves the built scripts and styles.
func assetHandler() http.Handler {
	files, _ := fs.Sub(assets, "assets")
	return http.StripPrefix("/assets/", http.FileServerFS(files))
}

// serveIndex serves the app's page with the CSRF token in a meta element,
// where only a page of the same origin can read it, and the kubeconfig's
// namespace, shown when the user may not list every namespace.
func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	serveIndexPage(w, indexData{Mode: "local", Token: s.token, Namespace: s.namespace})
}

// indexData fill the page's meta elements: Mode is "local" for `kubectl
// capstan dashboard` (the page calls its backend) and "cluster" when
// capstan-apiserver serves the page (the page calls the Kubernetes API
// through the proxy that served it).
type indexData struct {
	Mode, Token, Namespace string
}

func serveIndexPage(w http.ResponseWriter, data indexData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = indexTemplate.Execute(w, data)
}
