package dashboard

import (
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cascade"
	"capstan.dev/capstan/pkg/diff"
	"capstan.dev/capstan/pkg/refresh"
	"capstan.dev/capstan/pkg/resourcetree"
)

// routeActions adds what takes more than one forwarded call, each done
// with the user's own clients.
func (s *Server) routeActions() {
	s.mux.HandleFunc("GET /ui/tree/{namespace}/{name}", s.serveTree)
	s.mux.HandleFunc("GET /ui/live/{namespace}/{name}", s.serveLive)
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

func (s *Server) reader() resourcetree.DynamicReader {
	return resourcetree.DynamicReader{Client: s.dynamic, Mapper: s.mapper}
}

// serveTree answers the Application's resource tree as the user sees it.
func (s *Server) serveTree(w http.ResponseWriter, r *http.Request) {
	app, ok := s.application(w, r)
	if !ok {
		return
	}
	tree, err := resourcetree.BuildLive(r.Context(), app, s.reader())
	if err != nil {
		writeError(w, "build the resource tree", err)
		return
	}
	writeJSON(w, http.StatusOK, tree)
}

// serveLive answers one live object of the Application's tree (managed, or
// owned by a managed one), with Secret values masked: the dashboard reads
// no other object.
func (s *Server) serveLive(w http.ResponseWriter, r *http.Request) {
	app, ok := s.application(w, r)
	if !ok {
		return
	}
	query := r.URL.Query()
	tree, err := resourcetree.BuildLive(r.Context(), app, s.reader())
	if err != nil {
		writeError(w, "build the resource tree", err)
		return
	}
	node := tree.Find(query.Get("group"), query.Get("kind"), query.Get("namespace"), query.Get("name"))
	if node == nil || node.Version == "" {
		writeStatus(w, http.StatusNotFound, "the Application's resource tree has no such object")
		return
	}
	obj, err := s.reader().Get(r.Context(), schema.GroupVersionKind{Group: node.Group, Version: node.Version, Kind: node.Kind}, node.Namespace, node.Name)
	if err != nil {
		writeError(w, "read the live object", err)
		return
	}
	writeJSON(w, http.StatusOK, diff.MaskSecrets(obj)[0].Object)
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
