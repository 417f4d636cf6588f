package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +genclient:method=Sync,verb=create,subresource=sync,input=ApplicationSyncRequest,result=ApplicationSyncRequest
// +genclient:method=Terminate,verb=create,subresource=terminate,input=ApplicationTerminateRequest,result=ApplicationTerminateRequest
// +genclient:method=Rollback,verb=create,subresource=rollback,input=ApplicationRollbackRequest,result=Application
// +genclient:method=RunAction,verb=create,subresource=actions,input=ApplicationActionRequest,result=ApplicationActionRequest
// +genclient:method=GetDiff,verb=get,subresource=diff,result=ApplicationDiff
// +genclient:method=DiffManifests,verb=create,subresource=diff,input=ApplicationDiffRequest,result=ApplicationDiff
// +genclient:method=GetManifests,verb=get,subresource=manifests,result=ApplicationManifests
// +genclient:method=GetParameters,verb=get,subresource=parameters,result=ApplicationParameters
// +genclient:method=GetResourceTree,verb=get,subresource=resourcetree,result=ApplicationResourceTree
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Application is one deployable unit: manifests taken from one or more sources
// and kept in sync with a destination cluster and namespace. It has the shape of
// Argo CD's argoproj.io/v1alpha1 Application, so an Argo CD manifest is accepted
// after changing only its apiVersion.
type Application struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata. The finalizer resources-finalizer.argocd.argoproj.io
	// (and its /foreground and /background variants) makes deletion cascade to the
	// deployed resources.
	// +optional
	metav1.ObjectMeta `json:"metadata"`

	// Spec is the desired state: where manifests come from, where they go and how
	// they are synced.
	Spec ApplicationSpec `json:"spec"`
	// Status is the state observed by the controller.
	// +optional
	Status ApplicationStatus `json:"status,omitempty"`
	// Operation is a requested sync. Setting it (directly or through the sync
	// subresource) asks the controller to run it; the controller moves it into
	// status.operationState and clears it.
	// +optional
	Operation *Operation `json:"operation,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationList is a list of Applications.
type ApplicationList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Applications.
	Items []Application `json:"items"`
}

// ApplicationSpec is the desired state of an Application.
type ApplicationSpec struct {
	// Source is the single place the manifests come from. It is ignored when
	// sources or sourceHydrator is set.
	// +optional
	Source *ApplicationSource `json:"source,omitempty"`
	// Destination is the cluster and default namespace the manifests are deployed to.
	Destination ApplicationDestination `json:"destination"`
	// Project is the name of the AppProject that governs this Application; the
	// built-in project is called "default".
	Project string `json:"project"`
	// SyncPolicy says when and how syncs run.
	// +optional
	SyncPolicy *SyncPolicy `json:"syncPolicy,omitempty"`
	// IgnoreDifferences lists resource fields left out of the comparison between
	// target and live state.
	// +optional
	// +listType=atomic
	IgnoreDifferences IgnoreDifferences `json:"ignoreDifferences,omitempty"`
	// Info holds free-form name/value pairs shown to users (links, owners, notes).
	// +optional
	// +listType=atomic
	Info []Info `json:"info,omitempty"`
	// RevisionHistoryLimit bounds the number of entries kept in status.history.
	// Unset means 10; zero keeps no history.
	// +optional
	RevisionHistoryLimit *int64 `json:"revisionHistoryLimit,omitempty"`
	// Sources are several places the manifests come from, rendered together
	// (multi-source Application). When set, source is ignored.
	// +optional
	// +listType=atomic
	Sources ApplicationSources `json:"sources,omitempty"`
	// SourceHydrator renders manifests from a dry source, commits them to a branch
	// and syncs from that branch. It excludes source and sources.
	// +optional
	SourceHydrator *SourceHydrator `json:"sourceHydrator,omitempty"`
}

// HasMultipleSources reports whether the Application renders from spec.sources.
func (spec *ApplicationSpec) HasMultipleSources() bool {
	return spec.SourceHydrator == nil && len(spec.Sources) > 0
}

// ApplicationDestination names a cluster, by API server URL or by registered
// name, and the namespace given to namespaced resources that do not set one.
type ApplicationDestination struct {
	// Server is the URL of the cluster's API server, e.g.
	// https://kubernetes.default.svc for the cluster Capstan runs in. Exactly one
	// of server and name is set.
	// +optional
	Server string `json:"server,omitempty"`
	// Namespace is given to namespaced resources that have no metadata.namespace,
	// and is the namespace created by the CreateNamespace=true sync option.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Name is the registered name of the cluster (in-cluster for the local one),
	// used instead of server.
	// +optional
	Name string `json:"name,omitempty"`
}

// IgnoreDifferences is a list of rules that exclude resource fields from the
// comparison between target and live state.
type IgnoreDifferences []ResourceIgnoreDifferences

// ResourceIgnoreDifferences selects resources and the fields of theirs that the
// comparison ignores.
type ResourceIgnoreDifferences struct {
	// Group of the selected resources; empty is the core group and * matches any group.
	// +optional
	Group string `json:"group,omitempty"`
	// Kind of the selected resources; * matches any kind.
	Kind string `json:"kind"`
	// Name restricts the rule to resources with this name.
	// +optional
	Name string `json:"name,omitempty"`
	// Namespace restricts the rule to resources in this namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// JSONPointers are RFC 6901 pointers to ignored fields, e.g. /spec/replicas.
	// +optional
	// +listType=atomic
	JSONPointers []string `json:"jsonPointers,omitempty"`
	// JQPathExpressions are jq path expressions selecting ignored fields, e.g.
	// .spec.template.spec.initContainers[] | select(.name == "injected").
	// +optional
	// +listType=atomic
	JQPathExpressions []string `json:"jqPathExpressions,omitempty"`
	// ManagedFieldsManagers are field managers whose changes to live objects are
	// trusted: fields they own are taken from the live state.
	// +optional
	// +listType=atomic
	ManagedFieldsManagers []string `json:"managedFieldsManagers,omitempty"`
}

// Info is a name/value pair of information about an Application or an operation.
type Info struct {
	// Name is the label shown for the value.
	Name string `json:"name"`
	// Value is the information itself: text, a URL or an e-mail address.
	Value string `json:"value"`
}
