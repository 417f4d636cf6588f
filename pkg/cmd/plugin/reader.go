package plugin

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"capstan.dev/capstan/pkg/resourcetree"
)

// dynamicReader reads live objects with the user's own credentials, so the
// tree shows what they may read.
type dynamicReader struct {
	client dynamic.Interface
	mapper meta.RESTMapper
}

var _ resourcetree.Reader = dynamicReader{}

// List lists a kind; a kind the cluster does not serve is NotFound.
func (r dynamicReader) List(ctx context.Context, gvk schema.GroupVersionKind, namespace string, selector labels.Selector) ([]*unstructured.Unstructured, error) {
	mapping, err := r.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		return nil, apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, "")
	}
	if err != nil {
		return nil, err
	}
	resource := r.client.Resource(mapping.Resource)
	var list *unstructured.UnstructuredList
	options := metav1.ListOptions{LabelSelector: selector.String()}
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		list, err = resource.Namespace(namespace).List(ctx, options)
	} else {
		list, err = resource.List(ctx, options)
	}
	if err != nil {
		return nil, err
	}
	objects := make([]*unstructured.Unstructured, 0, len(list.Items))
	for i := range list.Items {
		objects = append(objects, &list.Items[i])
	}
	return objects, nil
}
