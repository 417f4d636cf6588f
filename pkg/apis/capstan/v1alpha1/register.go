package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupName is the API group served by capstan-apiserver.
const GroupName = "capstan.dev"

// SchemeGroupVersion is the group version of this package.
var SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1alpha1"}

var (
	// SchemeBuilder collects the functions that register this version in a scheme.
	SchemeBuilder      runtime.SchemeBuilder
	localSchemeBuilder = &SchemeBuilder
	// AddToScheme registers this version's kinds, defaults, conversions and field label conversions.
	AddToScheme = localSchemeBuilder.AddToScheme
)

func init() {
	// Generated functions (defaults, conversions) register themselves in the
	// generated files; only hand-written ones are listed here.
	localSchemeBuilder.Register(addKnownTypes, addDefaultingFuncs, addFieldLabelConversionFuncs)
}

// Resource qualifies an unqualified resource name with this group.
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
	metav1.AddToGroupVersion(scheme, SchemeGroupVersion)
	return nil
}

func addDefaultingFuncs(scheme *runtime.Scheme) error {
	return RegisterDefaults(scheme)
}
