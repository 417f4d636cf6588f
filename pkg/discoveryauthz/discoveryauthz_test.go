package discoveryauthz_test

import (
	"context"
	"testing"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"capstan.dev/capstan/pkg/discoveryauthz"
)

func TestAuthorize(t *testing.T) {
	authenticated := &user.DefaultInfo{Name: "system:kube-aggregator", Groups: []string{user.AllAuthenticated}}
	anonymous := &user.DefaultInfo{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}
	tests := []struct {
		name  string
		attrs authorizer.AttributesRecord
		want  authorizer.Decision
	}{
		{"an authenticated user gets the group version's discovery",
			authorizer.AttributesRecord{User: authenticated, Verb: "get", Path: "/apis/capstan.dev/v1alpha1"}, authorizer.DecisionAllow},
		{"an authenticated user gets the OpenAPI v3 document",
			authorizer.AttributesRecord{User: authenticated, Verb: "get", Path: "/openapi/v3/apis/capstan.dev/v1alpha1"}, authorizer.DecisionAllow},
		{"an authenticated user gets /apis",
			authorizer.AttributesRecord{User: authenticated, Verb: "get", Path: "/apis"}, authorizer.DecisionAllow},
		{"an anonymous user is left to the delegated authorizer",
			authorizer.AttributesRecord{User: anonymous, Verb: "get", Path: "/apis/capstan.dev/v1alpha1"}, authorizer.DecisionNoOpinion},
		{"a resource request is left to the delegated authorizer",
			authorizer.AttributesRecord{User: authenticated, Verb: "list", ResourceRequest: true, APIGroup: "capstan.dev",
				APIVersion: "v1alpha1", Resource: "applications", Path: "/apis/capstan.dev/v1alpha1/applications"}, authorizer.DecisionNoOpinion},
		{"a get of a resource under /apis/ is left to the delegated authorizer",
			authorizer.AttributesRecord{User: authenticated, Verb: "get", ResourceRequest: true, APIGroup: "capstan.dev",
				APIVersion: "v1alpha1", Resource: "applications", Namespace: "a", Name: "b",
				Path: "/apis/capstan.dev/v1alpha1/namespaces/a/applications/b"}, authorizer.DecisionNoOpinion},
		{"a post to a discovery path is left to the delegated authorizer",
			authorizer.AttributesRecord{User: authenticated, Verb: "post", Path: "/apis/capstan.dev/v1alpha1"}, authorizer.DecisionNoOpinion},
		{"metrics are left to the delegated authorizer",
			authorizer.AttributesRecord{User: authenticated, Verb: "get", Path: "/metrics"}, authorizer.DecisionNoOpinion},
		{"debug endpoints are left to the delegated authorizer",
			authorizer.AttributesRecord{User: authenticated, Verb: "get", Path: "/debug/pprof/profile"}, authorizer.DecisionNoOpinion},
		{"a path that only starts like /api is left to the delegated authorizer",
			authorizer.AttributesRecord{User: authenticated, Verb: "get", Path: "/apiextras"}, authorizer.DecisionNoOpinion},
		{"a request without a user is left to the delegated authorizer",
			authorizer.AttributesRecord{Verb: "get", Path: "/apis"}, authorizer.DecisionNoOpinion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := discoveryauthz.Authorizer{}.Authorize(context.Background(), tt.attrs)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("decision %v, want %v", got, tt.want)
			}
		})
	}
}
