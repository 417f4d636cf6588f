package admission

import (
	"k8s.io/apiserver/pkg/admission"

	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
	listers "capstan.dev/capstan/pkg/generated/listers/capstan/v1alpha1"
)

// WantsProjects is implemented by plugins that read AppProjects.
type WantsProjects interface {
	SetProjects(projects listers.AppProjectLister, synced func() bool)
	admission.InitializationValidator
}

// projectsInitializer gives plugins the AppProjects of Capstan's own informers.
type projectsInitializer struct {
	informers informers.SharedInformerFactory
}

// NewInitializer returns the initializer that gives plugins the AppProjects
// of factory, which the caller starts once the server runs.
func NewInitializer(factory informers.SharedInformerFactory) admission.PluginInitializer {
	return projectsInitializer{informers: factory}
}

// Initialize hands the AppProject lister to plugins that want it.
func (i projectsInitializer) Initialize(plugin admission.Interface) {
	if wants, ok := plugin.(WantsProjects); ok {
		projects := i.informers.Capstan().V1alpha1().AppProjects()
		wants.SetProjects(projects.Lister(), projects.Informer().HasSynced)
	}
}
