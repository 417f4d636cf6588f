package generators

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/template"
)

// clusters yields one parameter set per destination cluster whose Secret's
// labels match the selector: name, nameNormalized, server, project, the
// Secret's labels and annotations (metadata.labels.<key>,
// metadata.annotations.<key>) and values. The in-cluster destination has no
// Secret, so it is yielded only without a selector. flatList yields one set
// holding them all as "clusters".
func (r *run) clusters(ctx context.Context, generator *v1alpha1.ClusterGenerator) ([]map[string]any, error) {
	if r.generators.sources.Clusters == nil {
		return nil, fmt.Errorf("no cluster source is configured")
	}
	selector, err := metav1.LabelSelectorAsSelector(&generator.Selector)
	if err != nil {
		return nil, fmt.Errorf("selector: %w", err)
	}
	hasSelector := len(generator.Selector.MatchLabels) > 0 || len(generator.Selector.MatchExpressions) > 0
	if err := r.mayRead(ctx, "list", secretsResource, r.generators.sources.RepositoryNamespace, ""); err != nil {
		return nil, err
	}
	clusters, err := r.generators.sources.Clusters.Clusters(ctx)
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	params := []map[string]any{}
	for _, cluster := range clusters {
		if cluster.InCluster && hasSelector || !cluster.InCluster && !selector.Matches(labels.Set(cluster.Labels)) {
			continue
		}
		set := r.clusterParams(cluster)
		if err := appendValues(generator.Values, set, r.renderer); err != nil {
			return nil, fmt.Errorf("cluster %s: %w", cluster.Name, err)
		}
		params = append(params, set)
	}
	if generator.FlatList {
		all := make([]any, len(params))
		for i, set := range params {
			all[i] = set
		}
		return []map[string]any{{"clusters": all}}, nil
	}
	return params, nil
}

// clusterParams are the parameters of one cluster, before values.
func (r *run) clusterParams(cluster Cluster) map[string]any {
	params := map[string]any{"name": cluster.Name, "server": cluster.Server}
	if cluster.InCluster {
		params["nameNormalized"] = cluster.Name
		return params
	}
	params["nameNormalized"] = template.Normalize(cluster.Name)
	params["project"] = cluster.Project
	if r.goTemplate() {
		metadata := map[string]any{}
		if len(cluster.Annotations) > 0 {
			metadata["annotations"] = stringMap(cluster.Annotations)
		}
		if len(cluster.Labels) > 0 {
			metadata["labels"] = stringMap(cluster.Labels)
		}
		params["metadata"] = metadata
		return params
	}
	for key, value := range cluster.Annotations {
		params["metadata.annotations."+key] = value
	}
	for key, value := range cluster.Labels {
		params["metadata.labels."+key] = value
	}
	return params
}

// stringMap converts labels or annotations into parameters.
func stringMap(in map[string]string) map[string]any {
	out := make(map[string]any, len(in))
	for key, value := range in {
		out[key] = value
	}
	return out
}
