// Package discoveryauthz answers the authorization of discovery and OpenAPI
// requests locally, as Kubernetes' default system:discovery ClusterRole
// does: every authenticated user may get them. kube-apiserver's aggregator
// fetches capstan-apiserver's discovery and OpenAPI documents every few
// seconds; asking kube-apiserver with a SubjectAccessReview for each would
// make an idle server send requests forever.
package discoveryauthz

import (
	"context"
	"slices"
	"strings"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// exactPaths and prefixPaths are the non-resource URLs of the
// system:discovery ClusterRole (/api, /api/*, /apis, /apis/*, /openapi,
// /openapi/*, /version, /version/). Resource requests never match: under
// /apis/ only group and version discovery documents are non-resource URLs.
var (
	exactPaths  = []string{"/api", "/apis", "/openapi", "/version", "/version/"}
	prefixPaths = []string{"/api/", "/apis/", "/openapi/"}
)

// Authorizer allows get of the discovery and OpenAPI documents to
// authenticated users and leaves every other decision to the next
// authorizer: it never denies.
type Authorizer struct{}

var _ authorizer.Authorizer = Authorizer{}

// Authorize implements authorizer.Authorizer.
func (Authorizer) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	if a.IsResourceRequest() || a.GetVerb() != "get" || a.GetUser() == nil {
		return authorizer.DecisionNoOpinion, "", nil
	}
	if !slices.Contains(a.GetUser().GetGroups(), user.AllAuthenticated) {
		return authorizer.DecisionNoOpinion, "", nil
	}
	if !IsDiscoveryPath(a.GetPath()) {
		return authorizer.DecisionNoOpinion, "", nil
	}
	return authorizer.DecisionAllow, "discovery is readable by every authenticated user", nil
}

// IsDiscoveryPath tells whether path is one of the system:discovery
// ClusterRole's non-resource URLs.
func IsDiscoveryPath(path string) bool {
	if slices.Contains(exactPaths, path) {
		return true
	}
	for _, prefix := range prefixPaths {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}

// ConditionsAwareAuthorize implements authorizer.Authorizer; the decision
// is never conditional.
func (a Authorizer) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(a.Authorize(ctx, attrs))
}

// EvaluateConditions implements authorizer.Authorizer: there are no
// conditions to evaluate.
func (Authorizer) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}
