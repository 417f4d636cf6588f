package compare

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/project"
)

// withoutRefusedLive drops the live objects the project does not permit: they
// are not the Application's to change, so nothing prunes or deletes them.
func withoutRefusedLive(proj *v1alpha1.AppProject, destination v1alpha1.ApplicationDestination, live map[cluster.ResourceKey]*unstructured.Unstructured) {
	for key, obj := range live {
		if project.ResourceRefusal(proj, destination, obj, key.Namespace != "") != nil {
			delete(live, key)
		}
	}
}
