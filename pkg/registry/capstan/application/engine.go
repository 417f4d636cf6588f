package application

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/inspect"
)

// Engine computes what the diff and manifests subresources answer. It works on
// the served version, as the engine packages do.
type Engine interface {
	Diff(ctx context.Context, app *v1alpha1.Application, opts inspect.Options) (*v1alpha1.ApplicationDiff, error)
	Manifests(ctx context.Context, app *v1alpha1.Application, opts inspect.Options) (*v1alpha1.ApplicationManifests, error)
	Parameters(ctx context.Context, app *v1alpha1.Application, opts inspect.Options) (*v1alpha1.ApplicationParameters, error)
	ResourceTree(ctx context.Context, app *v1alpha1.Application, opts inspect.Options) (*v1alpha1.ApplicationResourceTree, error)
	LiveResource(ctx context.Context, app *v1alpha1.Application, opts inspect.Options, ref *v1alpha1.ApplicationLiveResourceOptions) (*v1alpha1.ApplicationLiveResource, error)
	RunAction(ctx context.Context, app *v1alpha1.Application, opts inspect.Options, req *v1alpha1.ApplicationActionRequest) (*v1alpha1.ApplicationActionRequest, error)
}

// engineCall loads an Application, hands it to the engine in v1alpha1 with
// what its project and the caller permit, and converts the answer back to the
// internal version the handlers expect.
type engineCall struct {
	store  *genericregistry.Store
	scheme *runtime.Scheme
	engine Engine
	access Access
}

func (e engineCall) application(ctx context.Context, name string) (*v1alpha1.Application, error) {
	if err := e.available(); err != nil {
		return nil, err
	}
	obj, err := e.store.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return e.served(obj.(*capstan.Application))
}

// available answers 503 when the server has no engine.
func (e engineCall) available() error {
	if e.engine == nil {
		return apierrors.NewServiceUnavailable(
			"this subresource needs a destination cluster; capstan-apiserver runs without one (--standalone)")
	}
	return nil
}

// served converts an internal Application to the version the engine works on.
func (e engineCall) served(in *capstan.Application) (*v1alpha1.Application, error) {
	if err := e.available(); err != nil {
		return nil, err
	}
	app := &v1alpha1.Application{}
	if err := e.scheme.Convert(in, app, nil); err != nil {
		return nil, err
	}
	return app, nil
}

func (e engineCall) internal(in runtime.Object, out runtime.Object) (runtime.Object, error) {
	if err := e.scheme.Convert(in, out, nil); err != nil {
		return nil, fmt.Errorf("convert %T: %w", in, err)
	}
	return out, nil
}

// engineError turns an engine failure into an API error that reads well in kubectl.
func engineError(name string, err error) error {
	if _, ok := err.(apierrors.APIStatus); ok {
		return err
	}
	return apierrors.NewBadRequest(fmt.Sprintf("application %s: %v", name, err))
}
