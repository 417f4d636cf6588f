package dashboard

import (
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cascade"
	"capstan.dev/capstan/pkg/refresh"
)

// routeActions adds what takes more than one forwarded call, each done
// with the user's own clients. (The resource tree and its live objects are
// the Application's subresources, forwarded like the others.)
func (s *Server) routeActions() {
	s.mux.HandleFunc("POST /ui/refresh/{namespace}/{name}", s.serveRefresh)
	s.mux.HandleFunc("POST /ui/delete/{namespace}/{name}", s.serveDelete)
}

// application reads the Application the request names, or answers the error.
func (s *Server) application(w http.ResponseWriter, r *http.Request) (*v1alpha1.Application, bool) {
	app, err := s.capstan.CapstanV1alpha1().Applications(r.PathValue("namespace")).Get(r.Context(), r.PathValue("name"), metav1.GetOptions{})
	if err != nil {
		writeError(w, "read the Application", err)
		return nil, false
	}
	return app, true
}

// serveRefresh asks the controller for a normal or, with ?hard=true, a hard
// refresh.
func (s *Server) serveRefresh(w http.ResponseWriter, r *http.Request) {
	value := refresh.Normal
	if r.URL.Query().Get("hard") == "true" {
		value = refresh.Hard
	}
	app, err := s.capstan.CapstanV1alpha1().Applications(r.PathValue("namespace")).Patch(r.Context(), r.PathValue("name"),
		types.MergePatchType, refresh.Patch(value), metav1.PatchOptions{})
	if err != nil {
		writeError(w, "request a refresh", err)
		return
	}
	writeJSON(w, http.StatusOK, app)
}

// serveDelete deletes the Application with ?cascade=foreground|background|orphan,
// setting its resources finalizer first as the kubectl plugin does.
func (s *Server) serveDelete(w http.ResponseWriter, r *http.Request) {
	finalizer, err := cascade.Finalizer(r.URL.Query().Get("cascade"))
	if err != nil {
		writeStatus(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	app, ok := s.application(w, r)
	if !ok {
		return
	}
	apps := s.capstan.CapstanV1alpha1().Applications(app.Namespace)
	if patch, changed := cascade.FinalizerPatch(app, finalizer); changed {
		if _, err := apps.Patch(r.Context(), app.Name, types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
			writeError(w, "set the resources finalizer", err)
			return
		}
	}
	if err := apps.Delete(r.Context(), app.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		writeError(w, "delete the Application", err)
		return
	}
	writeStatus(w, http.StatusOK, "deleted")
}
