// Package plan turns an ApplicationSet's generated parameters into the
// Applications it wants, and compares them with the Applications that exist:
// what is created, updated, deleted or left alone, under the
// ApplicationSet's policy and the AppProject rules. The controller writes
// what the plan says; the preview subresource shows it.
package plan

import (
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/generators"
	"capstan.dev/capstan/pkg/appset/template"
)

// Desired renders every parameter set of results into the Application it
// generates, in order: the template (with templatePatch), in the
// ApplicationSet's namespace, owned by it, with Argo CD's finalizer default
// (resources-finalizer unless the template sets finalizers or
// preserveResourcesOnDeletion is on) and its spec normalized as Argo CD
// writes it.
func Desired(appSet *v1alpha1.ApplicationSet, results []generators.Result) ([]*v1alpha1.Application, error) {
	renderer := template.NewRenderer(generators.RenderOptions(appSet))
	var apps []*v1alpha1.Application
	for _, result := range results {
		for _, params := range result.Params {
			app, err := renderer.Application(result.Template, params)
			if err != nil {
				return nil, err
			}
			if patch := appSet.Spec.TemplatePatch; patch != nil && *patch != "" {
				if app, err = renderer.Patch(app, *patch, params); err != nil {
					return nil, err
				}
			}
			apps = append(apps, finish(appSet, app))
		}
	}
	return apps, nil
}

// finish sets what every generated Application has whatever its template.
func finish(appSet *v1alpha1.ApplicationSet, app *v1alpha1.Application) *v1alpha1.Application {
	app.TypeMeta = metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "Application"}
	// Generated Applications live in the ApplicationSet's namespace, whatever
	// the template says: the boundary of ApplicationSets in any namespace.
	app.Namespace = appSet.Namespace
	preserve := appSet.Spec.SyncPolicy != nil && appSet.Spec.SyncPolicy.PreserveResourcesOnDeletion
	if !preserve && len(app.Finalizers) == 0 {
		app.Finalizers = []string{v1alpha1.ResourcesFinalizerName}
	}
	app.OwnerReferences = []metav1.OwnerReference{OwnerReference(appSet)}
	app.Spec = NormalizeSpec(app.Spec)
	return app
}

// OwnerReference is the controller reference of appSet on the Applications
// it generates, so that deleting it deletes them (Kubernetes garbage
// collection) unless orphaned.
func OwnerReference(appSet *v1alpha1.ApplicationSet) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion:         v1alpha1.SchemeGroupVersion.String(),
		Kind:               "ApplicationSet",
		Name:               appSet.Name,
		UID:                appSet.UID,
		Controller:         ptr.To(true),
		BlockOwnerDeletion: ptr.To(true),
	}
}

// NormalizeSpec writes an Application spec as Argo CD's ApplicationSet
// controller does before comparing and writing it: the empty project is
// "default", and empty sync policy, source and tool sections are left out,
// so that the Application controller has nothing to fight over.
func NormalizeSpec(spec v1alpha1.ApplicationSpec) v1alpha1.ApplicationSpec {
	spec = *spec.DeepCopy()
	if spec.Project == "" {
		spec.Project = v1alpha1.DefaultAppProjectName
	}
	if spec.SyncPolicy != nil && apiequality.Semantic.DeepEqual(*spec.SyncPolicy, v1alpha1.SyncPolicy{}) {
		spec.SyncPolicy = nil
	}
	if spec.Source != nil {
		if apiequality.Semantic.DeepEqual(*spec.Source, v1alpha1.ApplicationSource{}) {
			spec.Source = nil
		} else {
			normalizeSource(spec.Source)
		}
	}
	return spec
}

func normalizeSource(source *v1alpha1.ApplicationSource) {
	if source.Helm != nil && apiequality.Semantic.DeepEqual(*source.Helm, v1alpha1.ApplicationSourceHelm{}) {
		source.Helm = nil
	}
	if source.Kustomize != nil && apiequality.Semantic.DeepEqual(*source.Kustomize, v1alpha1.ApplicationSourceKustomize{}) {
		source.Kustomize = nil
	}
	if source.Directory != nil && apiequality.Semantic.DeepEqual(*source.Directory, v1alpha1.ApplicationSourceDirectory{}) {
		source.Directory = nil
	}
	if source.Plugin != nil && apiequality.Semantic.DeepEqual(*source.Plugin, v1alpha1.ApplicationSourcePlugin{}) {
		source.Plugin = nil
	}
}

// ownerOf returns the controller reference of app, if any.
func ownerOf(app *v1alpha1.Application) *metav1.OwnerReference {
	return metav1.GetControllerOfNoCopy(app)
}

// OwnedBy tells whether appSet is the controller of app.
func OwnedBy(app *v1alpha1.Application, appSet *v1alpha1.ApplicationSet) bool {
	owner := ownerOf(app)
	return owner != nil && owner.Kind == "ApplicationSet" && owner.Name == appSet.Name &&
		(appSet.UID == "" || owner.UID == appSet.UID)
}

// describeOwner names the controller of app for messages.
func describeOwner(owner *metav1.OwnerReference) string {
	return fmt.Sprintf("%s %s", owner.Kind, owner.Name)
}
