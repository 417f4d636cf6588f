package application

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/registry/capstan/statusrest"
)

// Storage holds every REST endpoint of the applications resource.
type Storage struct {
	Application *REST
	Status      *statusrest.REST
	Sync        *SyncREST
	Terminate   *TerminateREST
	Rollback    *RollbackREST
	Diff        *DiffREST
	Manifests   *ManifestsREST
	Parameters  *ParametersREST
	Tree        *ResourceTreeREST
	Live        *LiveResourceREST
	Actions     *ActionsREST
}

// NewStorage builds the applications storage and its subresources over optsGetter.
//
// engine computes the diff and manifests subresources; nil makes them answer
// 503 (a server without a destination cluster). access limits what their
// callers see.
func NewStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter, engine Engine, access Access) (Storage, error) {
	strategy := NewStrategy(scheme)
	statusStrategy := NewStatusStrategy(strategy)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &capstan.Application{} },
		NewListFunc:               func() runtime.Object { return &capstan.ApplicationList{} },
		PredicateFunc:             MatchApplication,
		DefaultQualifiedResource:  capstan.Resource("applications"),
		SingularQualifiedResource: capstan.Resource("application"),

		CreateStrategy:      strategy,
		UpdateStrategy:      strategy,
		DeleteStrategy:      strategy,
		ResetFieldsStrategy: strategy,

		TableConvertor: newTableConvertor(),
	}
	options := &generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: GetAttrs}
	if err := store.CompleteWithOptions(options); err != nil {
		return Storage{}, err
	}

	return Storage{
		Application: &REST{store},
		Status:      statusrest.New(store, statusStrategy, statusStrategy),
		Sync:        &SyncREST{store: store, access: access},
		Terminate:   &TerminateREST{store: store},
		Rollback:    &RollbackREST{store: store},
		Diff:        &DiffREST{call: engineCall{store: store, scheme: scheme, engine: engine, access: access}, table: newTableConvertor()},
		Manifests:   &ManifestsREST{call: engineCall{store: store, scheme: scheme, engine: engine, access: access}},
		Parameters:  &ParametersREST{call: engineCall{store: store, scheme: scheme, engine: engine, access: access}},
		Tree:        &ResourceTreeREST{call: engineCall{store: store, scheme: scheme, engine: engine, access: access}},
		Live:        &LiveResourceREST{call: engineCall{store: store, scheme: scheme, engine: engine, access: access}},
		Actions:     &ActionsREST{call: engineCall{store: store, scheme: scheme, engine: engine, access: access}},
	}, nil
}

// REST is the storage of the applications resource.
type REST struct {
	*genericregistry.Store
}

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
)

// ShortNames are the kubectl aliases of applications, as in Argo CD.
func (r *REST) ShortNames() []string { return []string{"app", "apps"} }

// Categories puts applications in `kubectl get capstan`.
func (r *REST) Categories() []string { return []string{"capstan"} }
