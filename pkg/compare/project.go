package compare

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/project"
)

// projectRefusal explains why the Application's project refuses its sources or
// destination, as Argo CD words it; empty when it permits them.
func projectRefusal(app *v1alpha1.Application, proj *v1alpha1.AppProject) string {
	if proj == nil {
		return ""
	}
	sources := app.Spec.Sources
	if len(sources) == 0 && app.Spec.Source != nil {
		sources = v1alpha1.ApplicationSources{*app.Spec.Source}
	}
	for _, source := range sources {
		if !project.SourcePermitted(proj.Spec, source.RepoURL) {
			return fmt.Sprintf("application repo %s is not permitted in project '%s'", source.RepoURL, proj.Name)
		}
	}
	destination := app.Spec.Destination
	if !project.DestinationPermitted(proj.Spec, destination) {
		cluster := destination.Server
		if cluster == "" {
			cluster = destination.Name
		}
		return fmt.Sprintf("application destination server '%s' and namespace '%s' do not match any of the allowed destinations in project '%s'",
			cluster, destination.Namespace, proj.Name)
	}
	return ""
}

// ResourceRefusal explains why the project refuses an object, as Argo CD words
// it; empty when it is permitted or there is no project to ask.
func ResourceRefusal(proj *v1alpha1.AppProject, destination v1alpha1.ApplicationDestination, obj *unstructured.Unstructured, namespaced bool) string {
	if proj == nil || obj == nil {
		return ""
	}
	gvk := obj.GroupVersionKind()
	if !project.ResourcePermitted(proj.Spec, gvk.Group, gvk.Kind, obj.GetName(), namespaced) {
		return fmt.Sprintf("resource %s:%s is not permitted in project %s", gvk.Group, gvk.Kind, proj.Name)
	}
	if namespaced && obj.GetNamespace() != destination.Namespace {
		elsewhere := destination
		elsewhere.Namespace = obj.GetNamespace()
		if !project.DestinationPermitted(proj.Spec, elsewhere) {
			return fmt.Sprintf("namespace %s is not permitted in project '%s'", obj.GetNamespace(), proj.Name)
		}
	}
	return ""
}

// withoutRefusedLive drops the live objects the project does not permit: they
// are not the Application's to change, so nothing prunes or deletes them.
func withoutRefusedLive(proj *v1alpha1.AppProject, destination v1alpha1.ApplicationDestination, live map[cluster.ResourceKey]*unstructured.Unstructured) {
	for key, obj := range live {
		if ResourceRefusal(proj, destination, obj, key.Namespace != "") != "" {
			delete(live, key)
		}
	}
}
