package capstan

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupName is the API group served by capstan-apiserver.
const GroupName = "capstan.dev"

// SchemeGroupVersion is the internal version of the group.
var SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: runtime.APIVersionInternal}

var (
	// SchemeBuilder collects the functions that register the internal kinds.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme registers the internal kinds in a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// Kind qualifies an unqualified kind with this group.
func Kind(kind string) schema.GroupKind {
	return SchemeGroupVersion.WithKind(kind).GroupKind()
}

// Resource qualifies an unqualified resource with this group.
func Resource(resource string) schema.GroupResource {
	return SchemeGroupVersion.WithResource(resource).GroupResource()
}

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(SchemeGroupVersion,
		&Application{},
		&ApplicationList{},
		&ApplicationSet{},
		&ApplicationSetList{},
		&AppProject{},
		&AppProjectList{},
		&ApplicationSyncRequest{},
		&ApplicationTerminateRequest{},
		&ApplicationRollbackRequest{},
		&ApplicationActionRequest{},
		&ApplicationDiff{},
		&ApplicationDiffOptions{},
		&ApplicationDiffRequest{},
		&ApplicationManifests{},
		&ApplicationManifestsOptions{},
		&ApplicationParameters{},
		&ApplicationResourceTree{},
		&ApplicationLiveResource{},
		&ApplicationLiveResourceOptions{},
		&ApplicationSetPreview{},
	)
	return nil
}
