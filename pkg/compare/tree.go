package compare

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
	"capstan.dev/capstan/pkg/diff"
	"capstan.dev/capstan/pkg/inspect"
	"capstan.dev/capstan/pkg/resourcetree"
)

// ResourceTree is app's resource tree for the caller of the resourcetree
// subresource: its managed resources from its status, the live objects they
// own below them, each with its health by the comparison's rules. In the
// cluster Capstan runs in, a kind the caller may not list in a namespace
// (opts.MayList) is left out with a warning, as when the caller lists it
// with kubectl; in other clusters, where the caller has no identity, the
// project and the right to the subresource are the gate, as for diff.
func (c *Comparer) ResourceTree(ctx context.Context, app *v1alpha1.Application, opts inspect.Options) (*v1alpha1.ApplicationResourceTree, error) {
	tree, _, err := c.resourceTree(ctx, app, opts)
	if err != nil {
		return nil, err
	}
	return &v1alpha1.ApplicationResourceTree{
		ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace},
		Nodes:      resourcetree.APINodes(tree.Nodes),
		Warnings:   tree.Warnings,
	}, nil
}

// resourceTree builds the tree, and returns the reader of the destination it
// read (nil when it could not read one).
func (c *Comparer) resourceTree(ctx context.Context, app *v1alpha1.Application, opts inspect.Options) (*resourcetree.Tree, *treeReader, error) {
	if opts.ProjectMissing {
		return nil, nil, fmt.Errorf("Application referencing project %s which does not exist", app.Spec.Project)
	}
	if refusal := c.Policy.ApplicationRefusal(opts.Project, app); refusal != nil {
		return nil, nil, refusal
	}
	destination, err := c.Destination(app, opts.Project)
	if err != nil {
		// The status still lists the managed resources; what they own cannot be read.
		tree := resourcetree.FromStatus(app)
		tree.Warnings = append(tree.Warnings, fmt.Sprintf("the objects owned by the managed resources are not shown: %v", err))
		return tree, nil, nil
	}
	reader := &treeReader{destination: destination}
	if destination.Server == cluster.InClusterServer {
		reader.mayList, reader.mayGet = opts.MayList, opts.MayRead
	}
	tree, err := resourcetree.Build(ctx, app, reader, resourcetree.Options{Health: c.Health})
	if err != nil {
		return nil, nil, err
	}
	return tree, reader, nil
}

// LiveResource is one live object of app's resource tree, as the caller of
// the resource subresource may see it: an object the tree does not hold
// (for this caller) is not found, and in the cluster Capstan runs in, one
// the caller may not get is forbidden. Secret values are masked.
func (c *Comparer) LiveResource(ctx context.Context, app *v1alpha1.Application, opts inspect.Options, ref *v1alpha1.ApplicationLiveResourceOptions) (*v1alpha1.ApplicationLiveResource, error) {
	if ref.ResourceKind == "" || ref.ResourceName == "" {
		return nil, apierrors.NewBadRequest("resourceKind and resourceName are required")
	}
	tree, reader, err := c.resourceTree(ctx, app, opts)
	if err != nil {
		return nil, err
	}
	node := tree.Find(ref.Group, ref.ResourceKind, ref.Namespace, ref.ResourceName)
	// A managed resource is in the tree even when its live object could not
	// be listed: reading it by name asks for the caller's right to get it.
	if node == nil || node.Version == "" || reader == nil {
		return nil, &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: 404, Reason: metav1.StatusReasonNotFound,
			Message: fmt.Sprintf("%s %s: the resource tree of application %s holds no such live object", ref.ResourceKind, objectName(ref.Namespace, ref.ResourceName), app.Name),
		}}
	}
	version := ref.Version
	if version == "" {
		version = node.Version
	}
	obj, err := reader.get(ctx, schema.GroupVersionKind{Group: node.Group, Version: version, Kind: node.Kind}, node.Namespace, node.Name)
	if err != nil {
		return nil, err
	}
	return &v1alpha1.ApplicationLiveResource{
		ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace},
		Object:     raw(diff.MaskSecrets(obj)[0]),
	}, nil
}

func objectName(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// treeReader reads a destination with Capstan's credentials for the
// caller, asking first whether the caller may list (or get) what it reads
// when mayList (mayGet) is set.
type treeReader struct {
	destination *cluster.Cluster
	mayList     func(context.Context, schema.GroupVersionResource, string) (bool, error)
	mayGet      func(context.Context, schema.GroupVersionResource, string) (bool, error)
}

var _ resourcetree.Reader = (*treeReader)(nil)

// List lists a kind for the caller: NotFound when the destination does not
// serve it, Forbidden when the caller may not list it.
func (r *treeReader) List(ctx context.Context, gvk schema.GroupVersionKind, namespace string, selector labels.Selector) ([]*unstructured.Unstructured, error) {
	client, resource, namespace, err := r.resource(gvk, namespace)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, r.mayList, "list", resource, namespace); err != nil {
		return nil, err
	}
	list, err := client.List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return nil, err
	}
	objects := make([]*unstructured.Unstructured, 0, len(list.Items))
	for i := range list.Items {
		objects = append(objects, &list.Items[i])
	}
	return objects, nil
}

// get reads one object for the caller.
func (r *treeReader) get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	client, resource, namespace, err := r.resource(gvk, namespace)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, r.mayGet, "get", resource, namespace); err != nil {
		return nil, err
	}
	return client.Get(ctx, name, metav1.GetOptions{})
}

// resource is the client of gvk in namespace (at cluster scope for a
// cluster-scoped kind, whose namespace is then empty).
func (r *treeReader) resource(gvk schema.GroupVersionKind, namespace string) (dynamic.ResourceInterface, schema.GroupVersionResource, string, error) {
	mapping, err := r.destination.Cache.Mapping(gvk)
	if meta.IsNoMatchError(err) {
		return nil, schema.GroupVersionResource{}, "", apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, "")
	}
	if err != nil {
		return nil, schema.GroupVersionResource{}, "", err
	}
	if mapping.Scope.Name() != meta.RESTScopeNameNamespace {
		return r.destination.Dynamic.Resource(mapping.Resource), mapping.Resource, "", nil
	}
	return r.destination.Dynamic.Resource(mapping.Resource).Namespace(namespace), mapping.Resource, namespace, nil
}

// authorize answers Forbidden when may says the caller may not verb resource
// in namespace.
func (r *treeReader) authorize(ctx context.Context, may func(context.Context, schema.GroupVersionResource, string) (bool, error), verb string, resource schema.GroupVersionResource, namespace string) error {
	if may == nil {
		return nil
	}
	allowed, err := may(ctx, resource, namespace)
	if err != nil {
		return fmt.Errorf("check whether the caller may %s %s: %w", verb, resource.GroupResource(), err)
	}
	if !allowed {
		where := "at cluster scope"
		if namespace != "" {
			where = "in namespace " + namespace
		}
		return apierrors.NewForbidden(resource.GroupResource(), "", fmt.Errorf("you may not %s them %s", verb, where))
	}
	return nil
}
