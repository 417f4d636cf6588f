package server

import (
	"net/http/httptest"
	"testing"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/endpoints/request"
)

// Users' requests of resources give the processors back while quiet; their
// watches, the server's own requests and discovery do not.
func TestServesAUser(t *testing.T) {
	alice := &user.DefaultInfo{Name: "alice"}
	loopback := &user.DefaultInfo{Name: user.APIServerUser}
	for _, tc := range []struct {
		name string
		info *request.RequestInfo
		user user.Info
		want bool
	}{
		{"a user's list", &request.RequestInfo{IsResourceRequest: true, Verb: "list", Resource: "applications"}, alice, true},
		{"a user's sync", &request.RequestInfo{IsResourceRequest: true, Verb: "create", Resource: "applications", Subresource: "sync"}, alice, true},
		{"a user's watch", &request.RequestInfo{IsResourceRequest: true, Verb: "watch", Resource: "applications"}, alice, false},
		{"the controllers' status write", &request.RequestInfo{IsResourceRequest: true, Verb: "update", Resource: "applications", Subresource: "status"}, loopback, false},
		{"discovery", &request.RequestInfo{Verb: "get", Path: "/apis/capstan.dev/v1alpha1"}, alice, false},
		{"no request info", nil, alice, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/apis/capstan.dev/v1alpha1/applications", nil)
			ctx := request.WithUser(req.Context(), tc.user)
			if tc.info != nil {
				ctx = request.WithRequestInfo(ctx, tc.info)
			}
			if got := servesAUser(req.WithContext(ctx)); got != tc.want {
				t.Fatalf("servesAUser = %v, want %v", got, tc.want)
			}
		})
	}
}
