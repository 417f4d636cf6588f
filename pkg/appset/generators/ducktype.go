package generators

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// clusterDecisionResource reads the duck-typed resources its ConfigMap
// describes (apiVersion, kind, statusListKey default "clusters", matchKey)
// in the ApplicationSet's namespace, by name or label selector, and yields
// one parameter set per entry of their status list whose matchKey names a
// known cluster: name, server, every field of the entry, and values.
func (r *run) clusterDecisionResource(ctx context.Context, generator *v1alpha1.DuckTypeGenerator) ([]map[string]any, error) {
	hasSelector := len(generator.LabelSelector.MatchLabels) > 0 || len(generator.LabelSelector.MatchExpressions) > 0
	if (generator.Name == "") == !hasSelector {
		return nil, fmt.Errorf("exactly one of name and labelSelector must be set")
	}
	config, err := r.configMapData(ctx, generator.ConfigMapRef, "clusterDecisionResource.configMapRef")
	if err != nil {
		return nil, err
	}
	matchKey, statusListKey := config["matchKey"], orDefault(config["statusListKey"], "clusters")
	if matchKey == "" {
		return nil, fmt.Errorf("clusterDecisionResource.configMapRef: ConfigMap %s has no matchKey", generator.ConfigMapRef)
	}
	resource, err := r.duckResource(config["apiVersion"], config["kind"])
	if err != nil {
		return nil, fmt.Errorf("clusterDecisionResource.configMapRef: ConfigMap %s: %w", generator.ConfigMapRef, err)
	}
	items, err := r.duckItems(ctx, resource, generator)
	if err != nil {
		return nil, err
	}
	if err := r.mayRead(ctx, "list", secretsResource, r.generators.sources.RepositoryNamespace, ""); err != nil {
		return nil, err
	}
	clusters, err := r.generators.sources.Clusters.Clusters(ctx)
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	servers := map[string]string{}
	for _, cluster := range clusters {
		servers[cluster.Name] = cluster.Server
	}
	params := []map[string]any{}
	for _, item := range items {
		status, _ := item.Object["status"].(map[string]any)
		decisions, _ := status[statusListKey].([]any)
		for _, decision := range decisions {
			entry, ok := decision.(map[string]any)
			if !ok {
				continue
			}
			name, _ := entry[matchKey].(string)
			server, known := servers[name]
			if name == "" || !known {
				continue // as in Argo CD, decisions for unknown clusters are skipped
			}
			set := map[string]any{"name": name, "server": server}
			for key, value := range entry {
				if r.goTemplate() {
					set[key] = value
				} else {
					set[key] = fmt.Sprintf("%v", value)
				}
			}
			if err := appendValues(generator.Values, set, r.renderer); err != nil {
				return nil, fmt.Errorf("%s %s: %w", resource.Resource, item.GetName(), err)
			}
			params = append(params, set)
		}
	}
	return params, nil
}

// duckItems reads the resource the generator names, or those its label
// selector matches, in the ApplicationSet's namespace; none is an error.
func (r *run) duckItems(ctx context.Context, resource schema.GroupVersionResource, generator *v1alpha1.DuckTypeGenerator) ([]unstructured.Unstructured, error) {
	namespace := r.appSet.Namespace
	if r.generators.sources.Dynamic == nil || r.generators.sources.Clusters == nil {
		return nil, fmt.Errorf("no dynamic client or cluster source is configured")
	}
	client := r.generators.sources.Dynamic.Resource(resource).Namespace(namespace)
	if generator.Name != "" {
		if err := r.mayRead(ctx, "get", resource, namespace, generator.Name); err != nil {
			return nil, err
		}
		item, err := client.Get(ctx, generator.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("no %s resource %s in namespace %s", resource.Resource, generator.Name, namespace)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s %s/%s: %w", resource.Resource, namespace, generator.Name, err)
		}
		return []unstructured.Unstructured{*item}, nil
	}
	if err := r.mayRead(ctx, "list", resource, namespace, ""); err != nil {
		return nil, err
	}
	selector, err := metav1.LabelSelectorAsSelector(&generator.LabelSelector)
	if err != nil {
		return nil, fmt.Errorf("labelSelector: %w", err)
	}
	list, err := client.List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return nil, fmt.Errorf("list %s in %s: %w", resource.Resource, namespace, err)
	}
	if len(list.Items) == 0 {
		return nil, fmt.Errorf("no %s resource in namespace %s matches the label selector", resource.Resource, namespace)
	}
	return list.Items, nil
}

// duckResource resolves the ConfigMap's apiVersion and kind (a kind or, as
// Argo CD's examples write it, the plural resource name) to a resource.
func (r *run) duckResource(apiVersion, kind string) (schema.GroupVersionResource, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || apiVersion == "" || kind == "" {
		return schema.GroupVersionResource{}, fmt.Errorf("apiVersion %q and kind %q must name a resource", apiVersion, kind)
	}
	if r.generators.sources.Kube == nil {
		return gv.WithResource(kind), nil
	}
	resources, err := r.generators.sources.Kube.Discovery().ServerResourcesForGroupVersion(gv.String())
	if err != nil {
		return schema.GroupVersionResource{}, fmt.Errorf("discover %s: %w", gv, err)
	}
	for _, resource := range resources.APIResources {
		if resource.Kind == kind || resource.Name == kind {
			return gv.WithResource(resource.Name), nil
		}
	}
	return schema.GroupVersionResource{}, fmt.Errorf("the API server serves no kind %s in %s", kind, gv)
}
