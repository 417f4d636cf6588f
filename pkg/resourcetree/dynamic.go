package resourcetree

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/health"
)

// DynamicReader reads live objects with the credentials of its client —
// the user's own, in the kubectl plugin and the dashboard — so the tree
// shows what they may read.
type DynamicReader struct {
	Client dynamic.Interface
	Mapper meta.RESTMapper
}

var _ Reader = DynamicReader{}

// List lists a kind; a kind the cluster does not serve is NotFound.
func (r DynamicReader) List(ctx context.Context, gvk schema.GroupVersionKind, namespace string, selector labels.Selector) ([]*unstructured.Unstructured, error) {
	resource, err := r.resource(gvk, namespace)
	if err != nil {
		return nil, err
	}
	list, err := resource.List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return nil, err
	}
	objects := make([]*unstructured.Unstructured, 0, len(list.Items))
	for i := range list.Items {
		objects = append(objects, &list.Items[i])
	}
	return objects, nil
}

// Get reads one object; a kind the cluster does not serve is NotFound.
func (r DynamicReader) Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	resource, err := r.resource(gvk, namespace)
	if err != nil {
		return nil, err
	}
	return resource.Get(ctx, name, metav1.GetOptions{})
}

// resource is the client of gvk in namespace, or at cluster scope for a
// cluster-scoped kind.
func (r DynamicReader) resource(gvk schema.GroupVersionKind, namespace string) (dynamic.ResourceInterface, error) {
	mapping, err := r.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		return nil, apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, "")
	}
	if err != nil {
		return nil, err
	}
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		return r.Client.Resource(mapping.Resource).Namespace(namespace), nil
	}
	return r.Client.Resource(mapping.Resource), nil
}

// BuildLive is the tree of app as its user sees it: built from live objects
// read by reader, with their health, when the Application deploys to the
// cluster the reader reaches; from its status alone, with a warning,
// otherwise.
func BuildLive(ctx context.Context, app *v1alpha1.Application, reader Reader) (*Tree, error) {
	if !ReadsCurrentCluster(app) {
		tree := FromStatus(app)
		tree.Warnings = append(tree.Warnings, fmt.Sprintf("the objects owned by the managed resources are not shown: they are in cluster %s", DestinationName(app)))
		return tree, nil
	}
	checker, err := health.NewChecker(health.Options{})
	if err != nil {
		return nil, err
	}
	return Build(ctx, app, reader, Options{Health: checker})
}

// ReadsCurrentCluster tells whether the Application deploys to the cluster
// Capstan runs in, which the user's kubeconfig reaches.
func ReadsCurrentCluster(app *v1alpha1.Application) bool {
	destination := app.Spec.Destination
	return destination.Server == cluster.InClusterServer || destination.Server == "" && (destination.Name == "in-cluster" || destination.Name == "")
}

// DestinationName names the Application's destination cluster, by server
// URL or by name.
func DestinationName(app *v1alpha1.Application) string {
	if app.Spec.Destination.Server != "" {
		return app.Spec.Destination.Server
	}
	return app.Spec.Destination.Name
}

// Find is the node of the tree with the group, kind, namespace and name;
// nil when the tree has none.
func (t *Tree) Find(group, kind, namespace, name string) *Node {
	var find func(nodes []*Node) *Node
	find = func(nodes []*Node) *Node {
		for _, node := range nodes {
			if node.Group == group && node.Kind == kind && node.Namespace == namespace && node.Name == name {
				return node
			}
			if found := find(node.Children); found != nil {
				return found
			}
		}
		return nil
	}
	return find(t.Nodes)
}
