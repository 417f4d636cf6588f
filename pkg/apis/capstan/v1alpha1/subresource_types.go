package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationSyncRequest is the body of POST applications/NAME/sync. It asks for a
// sync operation on the Application; the server sets the Application's operation
// atomically and answers with the accepted request.
type ApplicationSyncRequest struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata; name, if set, must equal the Application's name.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec says what to sync and how.
	// +optional
	Spec ApplicationSyncRequestSpec `json:"spec,omitempty"`
	// Status is filled by the server with the operation it accepted.
	// +optional
	Status ApplicationSyncRequestStatus `json:"status,omitempty"`
}

// ApplicationSyncRequestSpec holds the options of a sync request, named as in
// Argo CD's ApplicationSyncRequest.
type ApplicationSyncRequestSpec struct {
	// Revision to sync to; empty means the Application's targetRevision.
	// +optional
	Revision string `json:"revision,omitempty"`
	// Revisions to sync to, one per source of a multi-source Application.
	// +optional
	// +listType=atomic
	Revisions []string `json:"revisions,omitempty"`
	// SourcePositions are the 1-based positions of the sources the revisions apply to.
	// +optional
	// +listType=atomic
	SourcePositions []int64 `json:"sourcePositions,omitempty"`
	// Prune deletes resources that are no longer in the target state.
	// +optional
	Prune bool `json:"prune,omitempty"`
	// DryRun plans and validates the sync without changing the destination.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
	// Strategy chooses between apply and hook syncs.
	// +optional
	Strategy *SyncStrategy `json:"strategy,omitempty"`
	// Resources limits the sync to these resources (selective sync).
	// +optional
	// +listType=atomic
	Resources []SyncOperationResource `json:"resources,omitempty"`
	// SyncOptions override the Application's sync options for this operation.
	// +optional
	SyncOptions SyncOptions `json:"syncOptions,omitempty"`
	// Retry controls retries of a failed operation.
	// +optional
	Retry *RetryStrategy `json:"retry,omitempty"`
}

// ApplicationSyncRequestStatus reports what the server did with a sync request.
type ApplicationSyncRequestStatus struct {
	// Phase of the accepted operation when the request returned.
	// +optional
	Phase OperationPhase `json:"phase,omitempty"`
	// Message explains the phase.
	// +optional
	Message string `json:"message,omitempty"`
	// Operation is the operation that was set on the Application.
	// +optional
	Operation *Operation `json:"operation,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationTerminateRequest is the body of POST applications/NAME/terminate. It
// marks the running operation as Terminating.
type ApplicationTerminateRequest struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata; name, if set, must equal the Application's name.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Status is filled by the server.
	// +optional
	Status ApplicationTerminateRequestStatus `json:"status,omitempty"`
}

// ApplicationTerminateRequestStatus reports the phase of the operation after the request.
type ApplicationTerminateRequestStatus struct {
	// Phase of the operation after the request was handled.
	// +optional
	Phase OperationPhase `json:"phase,omitempty"`
	// Message explains the phase.
	// +optional
	Message string `json:"message,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationRollbackRequest is the body of POST applications/NAME/rollback: sync
// to the revision and source recorded in status.history entry ID.
type ApplicationRollbackRequest struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata; name, if set, must equal the Application's name.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// ID of the status.history entry to roll back to.
	ID int64 `json:"id"`
	// Prune deletes resources that are not in the rolled-back state.
	// +optional
	Prune bool `json:"prune,omitempty"`
	// DryRun plans the rollback without changing the destination.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationDiff is returned by GET applications/NAME/diff: the difference between
// the rendered target state and the live state, computed at request time.
type ApplicationDiff struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata of the Application the diff was computed for.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Revision the target state was rendered from.
	// +optional
	Revision string `json:"revision,omitempty"`
	// Items holds one entry per managed resource.
	// +optional
	// +listType=atomic
	Items []ResourceDiffItem `json:"items,omitempty"`
}

// ResourceDiffItem is the diff of one managed resource.
type ResourceDiffItem struct {
	// Group of the resource.
	// +optional
	Group string `json:"group,omitempty"`
	// Kind of the resource.
	Kind string `json:"kind"`
	// Namespace of the resource; empty for cluster-scoped resources.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Name of the resource.
	Name string `json:"name"`
	// Status is Synced, OutOfSync, Missing or RequiresPruning.
	Status string `json:"status"`
	// Diff is a unified text diff from the normalized live to the normalized target object.
	// +optional
	Diff string `json:"diff,omitempty"`
	// Target is the normalized target object (Secret data masked).
	// +optional
	Target *runtime.RawExtension `json:"target,omitempty"`
	// Live is the normalized live object (Secret data masked).
	// +optional
	Live *runtime.RawExtension `json:"live,omitempty"`
	// Message says why the live object and the diff are not shown, when they
	// are not: the caller may not read the live object.
	// +optional
	Message string `json:"message,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +k8s:conversion-gen:explicit-from=net/url.Values

// ApplicationDiffOptions are the query parameters of GET applications/NAME/diff.
type ApplicationDiffOptions struct {
	metav1.TypeMeta `json:",inline"`

	// Revision to render the target state from instead of the Application's.
	// +optional
	Revision string `json:"revision,omitempty"`
	// Refresh set to "hard" bypasses the render and comparison caches.
	// +optional
	Refresh string `json:"refresh,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationDiffRequest is a body of POST applications/NAME/diff (the other
// is a candidate Application): objects rendered elsewhere — by
// `kubectl capstan diff --local` from files on the caller's disk — compared
// with the live state of the Application NAME exactly as its comparison
// compares its rendered target state (project rules, normalization, ignore
// rules, Secret masking, what the caller may read). The answer is an
// ApplicationDiff; nothing is stored or applied.
type ApplicationDiffRequest struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata; name, if set, must equal the Application's name.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Manifests are the target objects, as the Application's source would
	// render them: the destination namespace is filled in where they have none.
	// +listType=atomic
	Manifests []runtime.RawExtension `json:"manifests"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationManifests is returned by GET applications/NAME/manifests: the
// rendered target objects of the Application, before Capstan adds tracking.
type ApplicationManifests struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata of the Application the manifests were rendered for.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Revision the manifests were rendered from (one per source for multi-source Applications).
	// +optional
	// +listType=atomic
	Revisions []string `json:"revisions,omitempty"`
	// Manifests are the rendered objects.
	// +optional
	// +listType=atomic
	Manifests []runtime.RawExtension `json:"manifests,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationParameters is returned by GET applications/NAME/parameters: the
// parameters the Application's config management plugins announce (Argo CD's
// parameter announcements, which its UI and `argocd app get --show-params`
// show), for the target revision or ?revision=. Nothing is rendered or stored.
type ApplicationParameters struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata of the Application the announcements are for.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Sources are the Application's plugin sources, in the order of its spec;
	// sources rendered by another tool are left out.
	// +optional
	// +listType=atomic
	Sources []ApplicationSourceParameters `json:"sources,omitempty"`
}

// ApplicationSourceParameters are the parameter announcements of one plugin source.
type ApplicationSourceParameters struct {
	// Index of the source in spec.sources (0 for spec.source).
	Index int32 `json:"index"`
	// RepoURL of the source.
	RepoURL string `json:"repoURL"`
	// Path of the source in the repository.
	// +optional
	Path string `json:"path,omitempty"`
	// Revision the announcements were computed at.
	// +optional
	Revision string `json:"revision,omitempty"`
	// Plugin renders the source: named by spec, or discovered.
	Plugin string `json:"plugin"`
	// Parameters are the plugin's announcements: those its parameters.dynamic
	// command printed for the source, then its static ones; a static
	// announcement replaces a dynamic one of the same name.
	// +optional
	// +listType=atomic
	Parameters []PluginParameterAnnouncement `json:"parameters,omitempty"`
}

// PluginParameterAnnouncement describes a parameter a config management plugin
// takes (Argo CD's ParameterAnnouncement): how to show it and its default.
type PluginParameterAnnouncement struct {
	// Name of the parameter, as spec.source.plugin.parameters[].name.
	Name string `json:"name"`
	// Title is a human-readable name.
	// +optional
	Title string `json:"title,omitempty"`
	// Tooltip explains the parameter.
	// +optional
	Tooltip string `json:"tooltip,omitempty"`
	// Required parameters must be set.
	// +optional
	Required bool `json:"required,omitempty"`
	// ItemType is the type of the value or of its items: string, number or boolean.
	// +optional
	ItemType string `json:"itemType,omitempty"`
	// CollectionType is string, array or map.
	// +optional
	CollectionType string `json:"collectionType,omitempty"`
	// String is the default of a string parameter.
	// +optional
	String string `json:"string,omitempty"`
	// Array is the default of an array parameter.
	// +optional
	// +listType=atomic
	Array []string `json:"array,omitempty"`
	// Map is the default of a map parameter.
	// +optional
	Map map[string]string `json:"map,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +k8s:conversion-gen:explicit-from=net/url.Values

// ApplicationManifestsOptions are the query parameters of GET applications/NAME/manifests.
type ApplicationManifestsOptions struct {
	metav1.TypeMeta `json:",inline"`

	// Revision to render instead of the Application's target revision.
	// +optional
	Revision string `json:"revision,omitempty"`
	// Refresh set to "hard" bypasses the revision and render caches.
	// +optional
	Refresh string `json:"refresh,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationActionRequest is the body of POST applications/NAME/actions: run
// a resource action (Argo CD's built-in ones such as restart, or a Lua action
// of argocd-cm) on one resource of the Application. The server answers with
// the request and what the action changed.
type ApplicationActionRequest struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata; name, if set, must equal the Application's name.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Resource is the resource of the Application to act on.
	Resource ActionResourceRef `json:"resource"`
	// Action is the name of the action, e.g. restart.
	Action string `json:"action"`
	// Params are the action's parameters, given to Lua actions as actionParams.
	// +optional
	// +listType=map
	// +listMapKey=name
	Params []ActionParam `json:"params,omitempty"`
	// Status is filled by the server with what the action did.
	// +optional
	Status ApplicationActionRequestStatus `json:"status,omitempty"`
}

// ActionResourceRef names one resource of an Application.
type ActionResourceRef struct {
	// Group of the resource; empty for the core group.
	// +optional
	Group string `json:"group,omitempty"`
	// Version of the resource; empty means the version the Application records.
	// +optional
	Version string `json:"version,omitempty"`
	// Kind of the resource.
	Kind string `json:"kind"`
	// Namespace of the resource; empty for cluster-scoped resources.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Name of the resource.
	Name string `json:"name"`
}

// ActionParam is one parameter of a resource action.
type ActionParam struct {
	// Name of the parameter.
	Name string `json:"name"`
	// Value of the parameter.
	// +optional
	Value string `json:"value,omitempty"`
}

// ApplicationActionRequestStatus reports what an action did.
type ApplicationActionRequestStatus struct {
	// Message says what was done.
	// +optional
	Message string `json:"message,omitempty"`
	// Changed lists the resources the action patched or created.
	// +optional
	// +listType=atomic
	Changed []ActionResourceRef `json:"changed,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationSetPreview is returned by GET applicationsets/NAME/preview, and by
// POST of an unsaved candidate ApplicationSet: the Applications its generators
// produce now, and what the controller would do to each.
type ApplicationSetPreview struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata of the ApplicationSet the preview was computed for.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Policy is the applicationsSync policy the actions follow.
	// +optional
	Policy ApplicationsSyncPolicy `json:"policy,omitempty"`
	// Items holds one entry per Application generated, or owned and no longer generated.
	// +optional
	// +listType=atomic
	Items []ApplicationSetPreviewItem `json:"items,omitempty"`
}

// ApplicationSetPreviewItem is what would happen to one Application.
type ApplicationSetPreviewItem struct {
	// Name of the Application.
	Name string `json:"name"`
	// Action is Create, Update, Delete, Unchanged, Kept (the policy forbids the
	// update or deletion) or Refused (the project refuses the Application, or
	// it cannot be written).
	Action string `json:"action"`
	// Message explains Kept and Refused.
	// +optional
	Message string `json:"message,omitempty"`
	// Application is the generated Application (for Delete, the existing one).
	// +optional
	Application *Application `json:"application,omitempty"`
	// Diff is a unified diff of the existing Application's labels,
	// annotations, finalizers and spec to the generated ones, for Update and Kept.
	// +optional
	Diff string `json:"diff,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationResourceTree is returned by GET applications/NAME/resourcetree
// (Argo CD's resource-tree): the Application's managed resources, each with
// its sync status and health, and below them the live objects they own
// through ownerReferences (a Deployment's ReplicaSets and their Pods, a
// CronJob's Jobs, a Service's EndpointSlices) with their health. It is
// computed for the caller: in the cluster Capstan runs in, a kind the caller
// may not list in a namespace is left out, and a warning says so.
type ApplicationResourceTree struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata of the Application the tree is for.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Nodes are the managed resources in the order of the Application's
	// status, each with the objects it owns.
	// +optional
	// +listType=atomic
	Nodes []ResourceTreeNode `json:"nodes,omitempty"`
	// Warnings say what the tree leaves out and why (a kind the caller may
	// not list, a destination whose live objects cannot be read).
	// +optional
	// +listType=atomic
	Warnings []string `json:"warnings,omitempty"`
}

// ResourceTreeNode is one object of an Application's resource tree.
type ResourceTreeNode struct {
	// Group of the object's kind; empty for the core group.
	// +optional
	Group string `json:"group,omitempty"`
	// Version of the object's kind.
	// +optional
	Version string `json:"version,omitempty"`
	// Kind of the object.
	Kind string `json:"kind"`
	// Namespace of the object; empty for cluster-scoped objects.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Name of the object.
	Name string `json:"name"`
	// UID of the live object; empty when it does not exist.
	// +optional
	UID string `json:"uid,omitempty"`
	// Managed is true for the Application's own resources; their children
	// are owned by them, not managed.
	// +optional
	Managed bool `json:"managed,omitempty"`
	// Status is a managed resource's sync status; empty for children.
	// +optional
	Status SyncStatusCode `json:"status,omitempty"`
	// RequiresPruning marks a managed resource that is no longer in the target state.
	// +optional
	RequiresPruning bool `json:"requiresPruning,omitempty"`
	// Health of the object; empty when its kind has none.
	// +optional
	Health *HealthStatus `json:"health,omitempty"`
	// CreatedAt is when the live object was created.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
	// Children are the objects it owns, sorted by kind and name.
	// +optional
	// +listType=atomic
	Children []ResourceTreeNode `json:"children,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationLiveResource is returned by GET applications/NAME/resource
// (Argo CD's GetResource): one live object of the Application's resource
// tree — a managed resource or an object it owns — with Secret values
// masked. No other object can be read through it; in the cluster Capstan
// runs in, only one the caller may get.
type ApplicationLiveResource struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata of the Application the object belongs to.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Object is the live object.
	// +optional
	Object *runtime.RawExtension `json:"object,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +k8s:conversion-gen:explicit-from=net/url.Values

// ApplicationLiveResourceOptions are the query parameters of GET
// applications/NAME/resource: which object of the resource tree to read.
type ApplicationLiveResourceOptions struct {
	metav1.TypeMeta `json:",inline"`

	// Group of the object's kind; empty for the core group.
	// +optional
	Group string `json:"group,omitempty"`
	// Version of the object's kind; empty means the version in the tree.
	// +optional
	Version string `json:"version,omitempty"`
	// ResourceKind is the object's kind ("kind" names the options' own).
	ResourceKind string `json:"resourceKind"`
	// Namespace of the object; empty for cluster-scoped objects.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// ResourceName is the object's name.
	ResourceName string `json:"resourceName"`
}
