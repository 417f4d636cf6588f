package appproject

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/registry/capstan/statusrest"
	"capstan.dev/capstan/pkg/registry/capstan/table"
)

// Storage holds every REST endpoint of the appprojects resource.
type Storage struct {
	AppProject *REST
	Status     *statusrest.REST
}

// NewStorage builds the appprojects storage and its subresources over optsGetter.
func NewStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (Storage, error) {
	strategy := NewStrategy(scheme)
	statusStrategy := NewStatusStrategy(strategy)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &capstan.AppProject{} },
		NewListFunc:               func() runtime.Object { return &capstan.AppProjectList{} },
		DefaultQualifiedResource:  capstan.Resource("appprojects"),
		SingularQualifiedResource: capstan.Resource("appproject"),

		CreateStrategy:      strategy,
		UpdateStrategy:      strategy,
		DeleteStrategy:      strategy,
		ResetFieldsStrategy: strategy,

		TableConvertor: table.NewConvertor(nil, func(runtime.Object) ([]interface{}, error) { return nil, nil }),
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter}); err != nil {
		return Storage{}, err
	}
	return Storage{
		AppProject: &REST{store},
		Status:     statusrest.New(store, statusStrategy, statusStrategy),
	}, nil
}

// REST is the storage of the appprojects resource. It refuses to delete the
// default project, as Argo CD does.
type REST struct {
	*genericregistry.Store
}

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
	_ rest.GracefulDeleter    = &REST{}
	_ rest.CollectionDeleter  = &REST{}
)

// ShortNames are the kubectl aliases of appprojects, as in Argo CD.
func (r *REST) ShortNames() []string { return []string{"appproj", "appprojs"} }

// Categories puts appprojects in `kubectl get capstan`.
func (r *REST) Categories() []string { return []string{"capstan"} }

// Delete deletes an AppProject other than the default one.
func (r *REST) Delete(ctx context.Context, name string, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error) {
	return r.Store.Delete(ctx, name, protectDefault(deleteValidation), options)
}

// DeleteCollection deletes the selected AppProjects. When the selection holds
// the default project it deletes none of them, rather than some.
func (r *REST) DeleteCollection(ctx context.Context, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions, listOptions *metainternalversion.ListOptions) (runtime.Object, error) {
	selected, err := r.Store.List(ctx, listOptions)
	if err != nil {
		return nil, err
	}
	for _, project := range selected.(*capstan.AppProjectList).Items {
		if err := protectDefault(nil)(ctx, &project); err != nil {
			return nil, err
		}
	}
	return r.Store.DeleteCollection(ctx, protectDefault(deleteValidation), options, listOptions)
}

// protectDefault wraps a delete validation so that it refuses the default project.
func protectDefault(next rest.ValidateObjectFunc) rest.ValidateObjectFunc {
	return func(ctx context.Context, obj runtime.Object) error {
		if project, ok := obj.(*capstan.AppProject); ok && project.Name == v1alpha1.DefaultAppProjectName {
			return apierrors.NewForbidden(capstan.Resource("appprojects"), v1alpha1.DefaultAppProjectName,
				fmt.Errorf("the default AppProject cannot be deleted"))
		}
		if next == nil {
			return nil
		}
		return next(ctx, obj)
	}
}
