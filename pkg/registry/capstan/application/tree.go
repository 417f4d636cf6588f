package application

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/inspect"
)

// ResourceTreeREST is the storage of applications/resourcetree: GET returns
// the Application's managed resources and the live objects they own, as the
// caller may see them (Argo CD's resource-tree).
type ResourceTreeREST struct {
	call engineCall
}

var (
	_ rest.Getter = &ResourceTreeREST{}
	_ rest.Scoper = &ResourceTreeREST{}
)

// New returns an empty ApplicationResourceTree.
func (r *ResourceTreeREST) New() runtime.Object { return &capstan.ApplicationResourceTree{} }

// Destroy releases nothing: the store belongs to the applications resource.
func (r *ResourceTreeREST) Destroy() {}

// NamespaceScoped is true: trees belong to namespaced Applications.
func (r *ResourceTreeREST) NamespaceScoped() bool { return true }

// Get builds the resource tree of the Application name for the caller.
func (r *ResourceTreeREST) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	app, inspection, err := r.call.inspectLive(ctx, name)
	if err != nil {
		return nil, err
	}
	tree, err := r.call.engine.ResourceTree(ctx, app, inspection)
	if err != nil {
		return nil, engineError(name, err)
	}
	return r.call.internal(tree, &capstan.ApplicationResourceTree{})
}

// LiveResourceREST is the storage of applications/resource: GET returns one
// live object of the Application's resource tree, Secret values masked
// (Argo CD's GetResource).
type LiveResourceREST struct {
	call engineCall
}

var (
	_ rest.GetterWithOptions = &LiveResourceREST{}
	_ rest.Scoper            = &LiveResourceREST{}
)

// New returns an empty ApplicationLiveResource.
func (r *LiveResourceREST) New() runtime.Object { return &capstan.ApplicationLiveResource{} }

// Destroy releases nothing: the store belongs to the applications resource.
func (r *LiveResourceREST) Destroy() {}

// NamespaceScoped is true: resources belong to namespaced Applications.
func (r *LiveResourceREST) NamespaceScoped() bool { return true }

// NewGetOptions returns the query parameters: which object to read.
func (r *LiveResourceREST) NewGetOptions() (runtime.Object, bool, string) {
	return &capstan.ApplicationLiveResourceOptions{}, false, ""
}

// Get reads the live object the options name, if the Application's tree
// holds it for the caller.
func (r *LiveResourceREST) Get(ctx context.Context, name string, options runtime.Object) (runtime.Object, error) {
	opts, ok := options.(*capstan.ApplicationLiveResourceOptions)
	if !ok {
		return nil, fmt.Errorf("unexpected options %T", options)
	}
	app, inspection, err := r.call.inspectLive(ctx, name)
	if err != nil {
		return nil, err
	}
	ref := &v1alpha1.ApplicationLiveResourceOptions{}
	if err := r.call.scheme.Convert(opts, ref, nil); err != nil {
		return nil, fmt.Errorf("convert %T: %w", opts, err)
	}
	live, err := r.call.engine.LiveResource(ctx, app, inspection, ref)
	if err != nil {
		return nil, engineError(name, err)
	}
	return r.call.internal(live, &capstan.ApplicationLiveResource{})
}

// inspectLive reads the Application name and what its project and the
// caller's access allow, for a GET of its live objects (no render: no
// revision, no refresh).
func (c engineCall) inspectLive(ctx context.Context, name string) (*v1alpha1.Application, inspect.Options, error) {
	app, err := c.application(ctx, name)
	if err != nil {
		return nil, inspect.Options{}, err
	}
	inspection, err := c.access.inspectOptions(ctx, app, "", false)
	return app, inspection, err
}
