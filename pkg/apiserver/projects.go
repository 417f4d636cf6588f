package apiserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
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

// StoredApplications lists Applications from their storage: from the watch
// cache, at any resourceVersion it holds (as an informer's cache would be),
// without the encoding, the watch and the decoding of every write that an
// informer of its own costs. It gives each Application's metadata and spec,
// not its status nor its operation.
type StoredApplications struct {
	lister rest.Lister
}

// List returns the Applications of every namespace that selector selects.
func (s StoredApplications) List(selector labels.Selector) ([]*v1alpha1.Application, error) {
	obj, err := listStored(s.lister, selector)
	if err != nil {
		return nil, err
	}
	list, ok := obj.(*capstan.ApplicationList)
	if !ok {
		return nil, fmt.Errorf("unexpected %T listing Applications", obj)
	}
	apps := make([]*v1alpha1.Application, 0, len(list.Items))
	for i := range list.Items {
		stored := &list.Items[i]
		served := &v1alpha1.Application{TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "Application"}}
		copyMetadata(&stored.ObjectMeta, &served.ObjectMeta)
		if err := v1alpha1.Convert_capstan_ApplicationSpec_To_v1alpha1_ApplicationSpec(stored.Spec.DeepCopy(), &served.Spec, nil); err != nil {
			return nil, fmt.Errorf("convert Application %s/%s: %w", stored.Namespace, stored.Name, err)
		}
		apps = append(apps, served)
	}
	return apps, nil
}

// StoredApplicationSets is StoredApplications for ApplicationSets: their
// metadata and spec, not their status (which lists every Application they
// generated).
type StoredApplicationSets struct {
	lister rest.Lister
}

// List returns the ApplicationSets of every namespace that selector selects.
func (s StoredApplicationSets) List(selector labels.Selector) ([]*v1alpha1.ApplicationSet, error) {
	obj, err := listStored(s.lister, selector)
	if err != nil {
		return nil, err
	}
	list, ok := obj.(*capstan.ApplicationSetList)
	if !ok {
		return nil, fmt.Errorf("unexpected %T listing ApplicationSets", obj)
	}
	appSets := make([]*v1alpha1.ApplicationSet, 0, len(list.Items))
	for i := range list.Items {
		stored := &list.Items[i]
		served := &v1alpha1.ApplicationSet{TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "ApplicationSet"}}
		copyMetadata(&stored.ObjectMeta, &served.ObjectMeta)
		if err := v1alpha1.Convert_capstan_ApplicationSetSpec_To_v1alpha1_ApplicationSetSpec(stored.Spec.DeepCopy(), &served.Spec, nil); err != nil {
			return nil, fmt.Errorf("convert ApplicationSet %s/%s: %w", stored.Namespace, stored.Name, err)
		}
		appSets = append(appSets, served)
	}
	return appSets, nil
}

// listStored lists every namespace's stored objects that selector selects,
// from the watch cache.
func listStored(lister rest.Lister, selector labels.Selector) (runtime.Object, error) {
	if lister == nil {
		return nil, errors.New("no storage to list from")
	}
	ctx, cancel := context.WithTimeout(genericapirequest.WithNamespace(context.Background(), metav1.NamespaceAll), storedListTimeout)
	defer cancel()
	return lister.List(ctx, &metainternalversion.ListOptions{LabelSelector: selector, ResourceVersion: "0"})
}

// copyMetadata deep-copies stored's metadata, without managedFields, into out.
func copyMetadata(stored, out *metav1.ObjectMeta) {
	meta := *stored
	meta.ManagedFields = nil
	meta.DeepCopyInto(out)
}

// storedListTimeout bounds a list from the watch cache, which waits only
// when the cache is not initialized yet.
const storedListTimeout = 30 * time.Second
