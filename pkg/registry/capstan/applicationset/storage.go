package applicationset

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/registry/capstan/statusrest"
	"capstan.dev/capstan/pkg/registry/capstan/table"
)

// Storage holds every REST endpoint of the applicationsets resource.
type Storage struct {
	ApplicationSet *REST
	Status         *statusrest.REST
	Preview        *PreviewREST
}

// NewStorage builds the applicationsets storage and its subresources over
// optsGetter; preview configures the preview subresource.
func NewStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter, preview PreviewConfig) (Storage, error) {
	strategy := NewStrategy(scheme)
	statusStrategy := NewStatusStrategy(strategy)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &capstan.ApplicationSet{} },
		NewListFunc:               func() runtime.Object { return &capstan.ApplicationSetList{} },
		DefaultQualifiedResource:  capstan.Resource("applicationsets"),
		SingularQualifiedResource: capstan.Resource("applicationset"),

		CreateStrategy:      strategy,
		UpdateStrategy:      strategy,
		DeleteStrategy:      strategy,
		ResetFieldsStrategy: strategy,

		TableConvertor: table.NewConvertor(columns, row),
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter}); err != nil {
		return Storage{}, err
	}
	return Storage{
		ApplicationSet: &REST{store},
		Status:         statusrest.New(store, statusStrategy, statusStrategy),
		Preview:        &PreviewREST{store: store, scheme: scheme, config: preview},
	}, nil
}

// REST is the storage of the applicationsets resource.
type REST struct {
	*genericregistry.Store
}

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
)

// ShortNames are the kubectl aliases of applicationsets, as in Argo CD.
func (r *REST) ShortNames() []string { return []string{"appset", "appsets"} }

// Categories puts applicationsets in `kubectl get capstan`.
func (r *REST) Categories() []string { return []string{"capstan"} }

var columns = []metav1.TableColumnDefinition{
	{Name: "Status", Type: "string", Description: "The most significant true condition of the ApplicationSet."},
}

// conditionPrecedence orders the condition types the STATUS column reports.
var conditionPrecedence = []string{"ErrorOccurred", "RolloutProgressing", "ResourcesUpToDate", "ParametersGenerated"}

func row(obj runtime.Object) ([]interface{}, error) {
	appSet, ok := obj.(*capstan.ApplicationSet)
	if !ok {
		return nil, fmt.Errorf("not an ApplicationSet: %T", obj)
	}
	return []interface{}{statusOf(appSet)}, nil
}

// statusOf names the first true condition in precedence order, or Unknown.
func statusOf(appSet *capstan.ApplicationSet) string {
	for _, conditionType := range conditionPrecedence {
		for _, condition := range appSet.Status.Conditions {
			if string(condition.Type) == conditionType && string(condition.Status) == "True" {
				return conditionType
			}
		}
	}
	return "Unknown"
}
