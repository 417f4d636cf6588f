package application

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/inspect"
)

// ManifestsREST is the storage of applications/manifests: GET renders the
// Application's target objects at its target revision or at ?revision=.
type ManifestsREST struct {
	call engineCall
}

var (
	_ rest.GetterWithOptions = &ManifestsREST{}
	_ rest.Scoper            = &ManifestsREST{}
)

// New returns an empty ApplicationManifests.
func (r *ManifestsREST) New() runtime.Object { return &capstan.ApplicationManifests{} }

// Destroy releases nothing: the store belongs to the applications resource.
func (r *ManifestsREST) Destroy() {}

// NamespaceScoped is true: manifests belong to namespaced Applications.
func (r *ManifestsREST) NamespaceScoped() bool { return true }

// NewGetOptions returns the query parameters: revision and refresh.
func (r *ManifestsREST) NewGetOptions() (runtime.Object, bool, string) {
	return &capstan.ApplicationManifestsOptions{}, false, ""
}

// Get renders the manifests of the Application name.
func (r *ManifestsREST) Get(ctx context.Context, name string, options runtime.Object) (runtime.Object, error) {
	app, inspect, err := r.call.inspectAt(ctx, name, options)
	if err != nil {
		return nil, err
	}
	manifests, err := r.call.engine.Manifests(ctx, app, inspect)
	if err != nil {
		return nil, engineError(name, err)
	}
	return r.call.internal(manifests, &capstan.ApplicationManifests{})
}

// ParametersREST is the storage of applications/parameters: GET returns the
// parameters the config management plugins of the Application's sources
// announce (Argo CD's GetAppDetails for plugins), at its target revision or
// at ?revision=.
type ParametersREST struct {
	call engineCall
}

var (
	_ rest.GetterWithOptions = &ParametersREST{}
	_ rest.Scoper            = &ParametersREST{}
)

// New returns an empty ApplicationParameters.
func (r *ParametersREST) New() runtime.Object { return &capstan.ApplicationParameters{} }

// Destroy releases nothing: the store belongs to the applications resource.
func (r *ParametersREST) Destroy() {}

// NamespaceScoped is true: parameters belong to namespaced Applications.
func (r *ParametersREST) NamespaceScoped() bool { return true }

// NewGetOptions returns the query parameters, those of manifests: revision
// and refresh.
func (r *ParametersREST) NewGetOptions() (runtime.Object, bool, string) {
	return &capstan.ApplicationManifestsOptions{}, false, ""
}

// Get returns the parameter announcements of the Application name.
func (r *ParametersREST) Get(ctx context.Context, name string, options runtime.Object) (runtime.Object, error) {
	app, inspect, err := r.call.inspectAt(ctx, name, options)
	if err != nil {
		return nil, err
	}
	params, err := r.call.engine.Parameters(ctx, app, inspect)
	if err != nil {
		return nil, engineError(name, err)
	}
	return r.call.internal(params, &capstan.ApplicationParameters{})
}

// inspectAt reads the Application name and the inspection its query
// parameters (revision, refresh) and the caller's access allow: the start
// of every GET that renders an Application's sources.
func (c engineCall) inspectAt(ctx context.Context, name string, options runtime.Object) (*v1alpha1.Application, inspect.Options, error) {
	opts, ok := options.(*capstan.ApplicationManifestsOptions)
	if !ok {
		return nil, inspect.Options{}, fmt.Errorf("unexpected options %T", options)
	}
	app, err := c.application(ctx, name)
	if err != nil {
		return nil, inspect.Options{}, err
	}
	inspection, err := c.access.inspectOptions(ctx, app, opts.Revision, opts.Refresh == "hard")
	return app, inspection, err
}
