package server

import (
	"net/http"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/endpoints/request"

	"capstan.dev/capstan/pkg/memory"
)

// serving tells releaser of the requests users make of the API: while the
// controllers are quiet it runs the server on one processor, and a request
// gives the processors back (memory.Releaser.Serving). Watches (long
// running, and renewed on their own) and the server's requests to itself
// (the controllers', which tell of their work themselves) do not count, nor
// do requests outside the resources (discovery, OpenAPI, health checks:
// the aggregator's periodic probes).
func serving(handler http.Handler, releaser *memory.Releaser) http.Handler {
	if releaser == nil {
		return handler
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if servesAUser(req) {
			releaser.Serving()
		}
		handler.ServeHTTP(w, req)
	})
}

// servesAUser tells whether req is a user's request of a resource other
// than a watch.
func servesAUser(req *http.Request) bool {
	info, ok := request.RequestInfoFrom(req.Context())
	if !ok || !info.IsResourceRequest || info.Verb == "watch" {
		return false
	}
	requester, ok := request.UserFrom(req.Context())
	return !ok || requester.GetName() != user.APIServerUser
}
