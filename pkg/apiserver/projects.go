package apiserver

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/scheme"
)

// projectGetter reads AppProjects from their storage in the version the
// project rules work on; nil when the project does not exist.
func projectGetter(projects rest.Getter) func(ctx context.Context, name string) (*v1alpha1.AppProject, error) {
	return func(ctx context.Context, name string) (*v1alpha1.AppProject, error) {
		obj, err := projects.Get(ctx, name, &metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		internal, ok := obj.(*capstan.AppProject)
		if !ok {
			return nil, fmt.Errorf("AppProject %s: unexpected %T in storage", name, obj)
		}
		served := &v1alpha1.AppProject{}
		if err := scheme.Scheme.Convert(internal, served, nil); err != nil {
			return nil, fmt.Errorf("convert AppProject %s: %w", name, err)
		}
		return served, nil
	}
}

// applicationLister lists the Applications of a namespace from their storage,
// in the version the ApplicationSet plans work on.
func applicationLister(apps rest.Lister) func(ctx context.Context, namespace string) ([]*v1alpha1.Application, error) {
	return func(ctx context.Context, namespace string) ([]*v1alpha1.Application, error) {
		obj, err := apps.List(genericapirequest.WithNamespace(ctx, namespace), &metainternalversion.ListOptions{})
		if err != nil {
			return nil, err
		}
		list, ok := obj.(*capstan.ApplicationList)
		if !ok {
			return nil, fmt.Errorf("unexpected %T listing Applications", obj)
		}
		apps := make([]*v1alpha1.Application, 0, len(list.Items))
		for i := range list.Items {
			served := &v1alpha1.Application{}
			if err := scheme.Scheme.Convert(&list.Items[i], served, nil); err != nil {
				return nil, fmt.Errorf("convert Application %s: %w", list.Items[i].Name, err)
			}
			apps = append(apps, served)
		}
		return apps, nil
	}
}
