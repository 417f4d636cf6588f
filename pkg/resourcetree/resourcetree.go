// Package resourcetree builds an Application's resource tree as
// `argocd app get` and Argo CD's UI show it: the managed resources of its
// status, each with its sync status and health, and below them the objects
// they own through ownerReferences (a Deployment's ReplicaSets and their
// Pods, a CronJob's Jobs and theirs, a Service's EndpointSlices), with their
// health. It reads live objects through a Reader, so that the kubectl plugin
// (with the user's credentials) and the server (from its caches) can share it.
package resourcetree

import (
	"context"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

// Node is one resource of the tree.
type Node struct {
	Group, Version, Kind, Namespace, Name string
	// UID is the live object's; empty when it does not exist.
	UID types.UID
	// Managed is true for the Application's own resources; their children
	// are owned by them, not managed.
	Managed bool
	// Status is a managed resource's sync status; empty for children.
	Status v1alpha1.SyncStatusCode
	// RequiresPruning marks a managed resource that is no longer in the
	// target state.
	RequiresPruning bool
	// Health is the resource's health; nil when the kind has none.
	Health *v1alpha1.HealthStatus
	// Created is when the live object was created; zero when it does not exist.
	Created metav1.Time
	// Children are the objects it owns, by kind and name.
	Children []*Node
}

// GroupKind is the node's group and kind.
func (n *Node) GroupKind() schema.GroupKind { return schema.GroupKind{Group: n.Group, Kind: n.Kind} }

// Reader reads live objects of the Application's destination.
type Reader interface {
	// List returns the objects of kind gvk in namespace (every namespace
	// when empty) that selector selects. A kind the cluster does not serve
	// answers a NotFound error.
	List(ctx context.Context, gvk schema.GroupVersionKind, namespace string, selector labels.Selector) ([]*unstructured.Unstructured, error)
}

// HealthAssessor assesses the health of a live object; nil when its kind
// has none.
type HealthAssessor interface {
	Assess(obj *unstructured.Unstructured) (*v1alpha1.HealthStatus, error)
}

// DefaultChildKinds are the kinds looked up as children: what the built-in
// workload controllers and Services create.
var DefaultChildKinds = []schema.GroupVersionKind{
	{Group: "apps", Version: "v1", Kind: "ReplicaSet"},
	{Group: "", Version: "v1", Kind: "Pod"},
	{Group: "batch", Version: "v1", Kind: "Job"},
	{Group: "discovery.k8s.io", Version: "v1", Kind: "EndpointSlice"},
}

// maxDepth bounds the levels of children below a managed resource.
const maxDepth = 5

// Options tune Build.
type Options struct {
	// ChildKinds are the kinds whose objects may be children; nil means
	// DefaultChildKinds.
	ChildKinds []schema.GroupVersionKind
	// Health assesses the children; nil leaves their health empty.
	Health HealthAssessor
}

// Tree is an Application's resource tree.
type Tree struct {
	// Nodes are the managed resources in status order, each with its children.
	Nodes []*Node
	// Warnings say what could not be read (the caller may not list a kind):
	// the tree is complete but for those.
	Warnings []string
}

// Build reads the live managed objects (one list per kind and namespace,
// selected by the Application's instance label) and the children of the
// kinds in opts (one list per kind and namespace of a managed resource), and
// links them by ownerReferences.
func Build(ctx context.Context, app *v1alpha1.Application, reader Reader, opts Options) (*Tree, error) {
	childKinds := opts.ChildKinds
	if childKinds == nil {
		childKinds = DefaultChildKinds
	}
	tree := &Tree{}
	live, err := managedObjects(ctx, app, reader, tree)
	if err != nil {
		return nil, err
	}
	owned, err := ownedObjects(ctx, app, reader, childKinds, tree)
	if err != nil {
		return nil, err
	}
	tree.Nodes = FromStatus(app).Nodes
	for _, node := range tree.Nodes {
		if obj := live[cluster.ResourceKey{Group: node.Group, Kind: node.Kind, Namespace: node.Namespace, Name: node.Name}]; obj != nil {
			node.UID, node.Created = obj.GetUID(), obj.GetCreationTimestamp()
			node.Children = children(node.UID, owned, opts.Health, map[types.UID]bool{node.UID: true}, 1)
		}
	}
	return tree, nil
}

// FromStatus is the tree of the managed resources alone, as the
// Application's status lists them: for destinations whose objects cannot
// be read.
func FromStatus(app *v1alpha1.Application) *Tree {
	tree := &Tree{}
	for _, resource := range app.Status.Resources {
		tree.Nodes = append(tree.Nodes, &Node{
			Group: resource.Group, Version: resource.Version, Kind: resource.Kind, Namespace: resource.Namespace, Name: resource.Name,
			Managed: true, Status: resource.Status, RequiresPruning: resource.RequiresPruning, Health: resource.Health,
		})
	}
	return tree
}

// managedObjects lists the live objects of the Application's instance, by key.
func managedObjects(ctx context.Context, app *v1alpha1.Application, reader Reader, tree *Tree) (map[cluster.ResourceKey]*unstructured.Unstructured, error) {
	selector := labels.SelectorFromSet(labels.Set{cluster.InstanceLabel: cluster.InstanceLabelValue(app.Namespace, app.Name)})
	type listKey struct {
		gvk       schema.GroupVersionKind
		namespace string
	}
	listed := map[listKey]bool{}
	live := map[cluster.ResourceKey]*unstructured.Unstructured{}
	for _, resource := range app.Status.Resources {
		key := listKey{schema.GroupVersionKind{Group: resource.Group, Version: resource.Version, Kind: resource.Kind}, resource.Namespace}
		if listed[key] || resource.Version == "" {
			continue
		}
		listed[key] = true
		objects, err := reader.List(ctx, key.gvk, key.namespace, selector)
		if skip, err := skippable(err, key.gvk, key.namespace, tree); skip {
			continue
		} else if err != nil {
			return nil, err
		}
		for _, obj := range objects {
			live[cluster.KeyOf(obj)] = obj
		}
	}
	return live, nil
}

// ownedObjects lists the objects of childKinds in the namespaces of the
// managed resources, by owner UID.
func ownedObjects(ctx context.Context, app *v1alpha1.Application, reader Reader, childKinds []schema.GroupVersionKind, tree *Tree) (map[types.UID][]*unstructured.Unstructured, error) {
	namespaces := map[string]bool{}
	for _, resource := range app.Status.Resources {
		if resource.Namespace != "" {
			namespaces[resource.Namespace] = true
		}
	}
	owned := map[types.UID][]*unstructured.Unstructured{}
	for _, namespace := range sortedKeys(namespaces) {
		for _, gvk := range childKinds {
			objects, err := reader.List(ctx, gvk, namespace, labels.Everything())
			if skip, err := skippable(err, gvk, namespace, tree); skip {
				continue
			} else if err != nil {
				return nil, err
			}
			for _, obj := range objects {
				for _, owner := range obj.GetOwnerReferences() {
					owned[owner.UID] = append(owned[owner.UID], obj)
				}
			}
		}
	}
	return owned, nil
}

// skippable tells whether a list error only leaves a kind out of the tree
// (not served, or not readable by the caller), noting it in tree.
func skippable(err error, gvk schema.GroupVersionKind, namespace string, tree *Tree) (bool, error) {
	switch {
	case err == nil:
		return false, nil
	case apierrors.IsNotFound(err):
		return true, nil
	case apierrors.IsForbidden(err):
		where := "at cluster scope"
		if namespace != "" {
			where = "in namespace " + namespace
		}
		tree.Warnings = append(tree.Warnings, fmt.Sprintf("%s %s not shown: you may not list them", gvk.Kind, where))
		return true, nil
	}
	return false, fmt.Errorf("list %s in %q: %w", gvk.Kind, namespace, err)
}

// children builds the nodes owned by uid, sorted by kind and name.
func children(uid types.UID, owned map[types.UID][]*unstructured.Unstructured, assessor HealthAssessor, seen map[types.UID]bool, depth int) []*Node {
	if depth > maxDepth {
		return nil
	}
	var nodes []*Node
	for _, obj := range owned[uid] {
		if seen[obj.GetUID()] {
			continue
		}
		seen[obj.GetUID()] = true
		gvk := obj.GroupVersionKind()
		node := &Node{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName(),
			UID: obj.GetUID(), Created: obj.GetCreationTimestamp()}
		if assessor != nil {
			if health, err := assessor.Assess(obj); err == nil {
				node.Health = health
			} else {
				node.Health = &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusUnknown, Message: err.Error()}
			}
		}
		node.Children = children(node.UID, owned, assessor, seen, depth+1)
		nodes = append(nodes, node)
	}
	sort.Slice(nodes, func(i, j int) bool {
		if nodes[i].Kind != nodes[j].Kind {
			return nodes[i].Kind < nodes[j].Kind
		}
		return nodes[i].Name < nodes[j].Name
	})
	return nodes
}

func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for key := range set {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// APINodes are nodes as the resourcetree subresource serves them.
func APINodes(nodes []*Node) []v1alpha1.ResourceTreeNode {
	if len(nodes) == 0 {
		return nil
	}
	out := make([]v1alpha1.ResourceTreeNode, 0, len(nodes))
	for _, node := range nodes {
		item := v1alpha1.ResourceTreeNode{
			Group: node.Group, Version: node.Version, Kind: node.Kind, Namespace: node.Namespace, Name: node.Name,
			UID: string(node.UID), Managed: node.Managed, Status: node.Status, RequiresPruning: node.RequiresPruning,
			Health: node.Health.DeepCopy(), Children: APINodes(node.Children),
		}
		if !node.Created.IsZero() {
			created := node.Created
			item.CreatedAt = &created
		}
		out = append(out, item)
	}
	return out
}

// FromAPI is the tree the resourcetree subresource served.
func FromAPI(served *v1alpha1.ApplicationResourceTree) *Tree {
	var nodes func(items []v1alpha1.ResourceTreeNode) []*Node
	nodes = func(items []v1alpha1.ResourceTreeNode) []*Node {
		var out []*Node
		for _, item := range items {
			node := &Node{
				Group: item.Group, Version: item.Version, Kind: item.Kind, Namespace: item.Namespace, Name: item.Name,
				UID: types.UID(item.UID), Managed: item.Managed, Status: item.Status, RequiresPruning: item.RequiresPruning,
				Health: item.Health.DeepCopy(), Children: nodes(item.Children),
			}
			if item.CreatedAt != nil {
				node.Created = *item.CreatedAt
			}
			out = append(out, node)
		}
		return out
	}
	return &Tree{Nodes: nodes(served.Nodes), Warnings: served.Warnings}
}
