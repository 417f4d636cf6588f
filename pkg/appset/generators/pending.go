package generators

import (
	"context"
	"fmt"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// errNotImplemented is returned by generators this build does not run yet:
// the ApplicationSet reports it and its Applications are left alone.
var errNotImplemented = fmt.Errorf("this generator is not supported yet")

func (r *run) scmProvider(ctx context.Context, generator *v1alpha1.SCMProviderGenerator) ([]map[string]any, error) {
	return nil, errNotImplemented
}

func (r *run) pullRequest(ctx context.Context, generator *v1alpha1.PullRequestGenerator) ([]map[string]any, error) {
	return nil, errNotImplemented
}

func (r *run) plugin(ctx context.Context, generator *v1alpha1.PluginGenerator) ([]map[string]any, error) {
	return nil, errNotImplemented
}

func (r *run) clusterDecisionResource(ctx context.Context, generator *v1alpha1.DuckTypeGenerator) ([]map[string]any, error) {
	return nil, errNotImplemented
}
