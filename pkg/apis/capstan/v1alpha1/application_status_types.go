package v1alpha1

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ApplicationStatus is the state of an Application observed by the controller.
type ApplicationStatus struct {
	// Resources are the managed resources with their sync status.
	// +optional
	// +listType=atomic
	Resources []ResourceStatus `json:"resources,omitempty"`
	// Sync is the result of the last comparison of target and live state.
	// +optional
	Sync SyncStatus `json:"sync,omitempty"`
	// Health is the aggregated health of the managed resources.
	// +optional
	Health AppHealthStatus `json:"health,omitempty"`
	// History lists past successful syncs, oldest first, bounded by
	// spec.revisionHistoryLimit.
	// +optional
	// +listType=atomic
	History RevisionHistories `json:"history,omitempty"`
	// Conditions report errors and warnings about the Application.
	// +optional
	// +listType=atomic
	Conditions []ApplicationCondition `json:"conditions,omitempty"`
	// ReconciledAt is when the Application was last compared against the latest
	// revision of its sources.
	// +optional
	ReconciledAt *metav1.Time `json:"reconciledAt,omitempty"`
	// OperationState is the state of the current or last operation.
	// +optional
	OperationState *OperationState `json:"operationState,omitempty"`
	// ObservedAt is deprecated and no longer set.
	// +optional
	ObservedAt *metav1.Time `json:"observedAt,omitempty"`
	// SourceType is the tool that renders spec.source.
	// +optional
	SourceType ApplicationSourceType `json:"sourceType,omitempty"`
	// Summary lists external URLs and images of the managed resources.
	// +optional
	Summary ApplicationSummary `json:"summary,omitempty"`
	// ResourceHealthSource says where per-resource health is kept: empty for
	// inline in resources, appTree when it is kept out of the object.
	// +optional
	ResourceHealthSource ResourceHealthLocation `json:"resourceHealthSource,omitempty"`
	// SourceTypes are the tools that render each of spec.sources.
	// +optional
	// +listType=atomic
	SourceTypes []ApplicationSourceType `json:"sourceTypes,omitempty"`
	// ControllerNamespace is the namespace of the controller that reconciles the Application.
	// +optional
	ControllerNamespace string `json:"controllerNamespace,omitempty"`
	// SourceHydrator is the state of source hydration.
	// +optional
	SourceHydrator SourceHydratorStatus `json:"sourceHydrator,omitempty"`
}

// ResourceHealthLocation says where per-resource health is kept.
type ResourceHealthLocation string

// Locations of per-resource health.
const (
	// ResourceHealthLocationInline keeps health in status.resources[].health.
	ResourceHealthLocationInline ResourceHealthLocation = ""
	// ResourceHealthLocationAppTree keeps health out of the Application object.
	ResourceHealthLocationAppTree ResourceHealthLocation = "appTree"
)

// SyncStatus is the result of comparing target and live state.
type SyncStatus struct {
	// Status is Synced, OutOfSync or Unknown.
	Status SyncStatusCode `json:"status"`
	// ComparedTo is the part of the spec the comparison used; a change to it
	// makes the result stale.
	// +optional
	ComparedTo ComparedTo `json:"comparedTo,omitempty"`
	// Revision is the resolved revision (commit or chart version) compared.
	// +optional
	Revision string `json:"revision,omitempty"`
	// Revisions are the resolved revisions of each of spec.sources.
	// +optional
	// +listType=atomic
	Revisions []string `json:"revisions,omitempty"`
}

// SyncStatusCode is the result of comparing target and live state.
// +enum
type SyncStatusCode string

// Sync status codes, spelled as in Argo CD.
const (
	// SyncStatusCodeUnknown means the comparison could not be made.
	SyncStatusCodeUnknown SyncStatusCode = "Unknown"
	// SyncStatusCodeSynced means live state matches target state.
	SyncStatusCodeSynced SyncStatusCode = "Synced"
	// SyncStatusCodeOutOfSync means live state differs from target state.
	SyncStatusCodeOutOfSync SyncStatusCode = "OutOfSync"
)

// ComparedTo is the snapshot of the spec a comparison was made against.
type ComparedTo struct {
	// Source is spec.source at comparison time.
	// +optional
	Source ApplicationSource `json:"source,omitempty"`
	// Destination is spec.destination at comparison time.
	Destination ApplicationDestination `json:"destination"`
	// Sources is spec.sources at comparison time.
	// +optional
	// +listType=atomic
	Sources ApplicationSources `json:"sources,omitempty"`
	// IgnoreDifferences is spec.ignoreDifferences at comparison time.
	// +optional
	// +listType=atomic
	IgnoreDifferences IgnoreDifferences `json:"ignoreDifferences,omitempty"`
}

// AppHealthStatus is the aggregated health of an Application.
type AppHealthStatus struct {
	// Status is the health code.
	// +optional
	Status HealthStatusCode `json:"status,omitempty"`
	// Message explains the status. Deprecated: Argo CD no longer sets it.
	// +optional
	Message string `json:"message,omitempty"`
	// LastTransitionTime is when status last changed.
	// +optional
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
}

// HealthStatus is the health of one resource.
type HealthStatus struct {
	// Status is the health code.
	// +optional
	Status HealthStatusCode `json:"status,omitempty"`
	// Message explains the status.
	// +optional
	Message string `json:"message,omitempty"`
	// LastTransitionTime is deprecated and not set.
	// +optional
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
}

// HealthStatusCode is a health assessment.
// +enum
type HealthStatusCode string

// Health codes, spelled as in Argo CD.
const (
	// HealthStatusUnknown means health could not be assessed.
	HealthStatusUnknown HealthStatusCode = "Unknown"
	// HealthStatusProgressing means the resource is not healthy yet but may become so.
	HealthStatusProgressing HealthStatusCode = "Progressing"
	// HealthStatusHealthy means the resource is healthy.
	HealthStatusHealthy HealthStatusCode = "Healthy"
	// HealthStatusSuspended means the resource is paused or suspended.
	HealthStatusSuspended HealthStatusCode = "Suspended"
	// HealthStatusDegraded means the resource failed or cannot become healthy.
	HealthStatusDegraded HealthStatusCode = "Degraded"
	// HealthStatusMissing means the resource does not exist in the cluster.
	HealthStatusMissing HealthStatusCode = "Missing"
)

// ResourceStatus is the sync status of one managed resource.
type ResourceStatus struct {
	// Group of the resource.
	// +optional
	Group string `json:"group,omitempty"`
	// Version of the resource.
	// +optional
	Version string `json:"version,omitempty"`
	// Kind of the resource.
	// +optional
	Kind string `json:"kind,omitempty"`
	// Namespace of the resource; empty for cluster-scoped resources.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Name of the resource.
	// +optional
	Name string `json:"name,omitempty"`
	// Status is Synced, OutOfSync or Unknown.
	// +optional
	Status SyncStatusCode `json:"status,omitempty"`
	// Health of the resource, when health is kept inline.
	// +optional
	Health *HealthStatus `json:"health,omitempty"`
	// Hook is true for sync hooks.
	// +optional
	Hook bool `json:"hook,omitempty"`
	// RequiresPruning is true when the resource is live but no longer in the target state.
	// +optional
	RequiresPruning bool `json:"requiresPruning,omitempty"`
	// SyncWave is the wave the resource is synced in.
	// +optional
	SyncWave int64 `json:"syncWave,omitempty"`
	// RequiresDeletionConfirmation is true when pruning or deleting the resource
	// waits for the argocd.argoproj.io/deletion-approved annotation.
	// +optional
	RequiresDeletionConfirmation bool `json:"requiresDeletionConfirmation,omitempty"`
}

// RevisionHistories are past syncs, oldest first.
type RevisionHistories []RevisionHistory

// RevisionHistory records one successful sync.
type RevisionHistory struct {
	// Revision synced to.
	// +optional
	Revision string `json:"revision,omitempty"`
	// DeployedAt is when the sync finished.
	DeployedAt metav1.Time `json:"deployedAt"`
	// ID identifies the entry; rollbacks refer to it. It increases by one per entry.
	ID int64 `json:"id"`
	// Source synced from.
	// +optional
	Source ApplicationSource `json:"source,omitempty"`
	// DeployStartedAt is when the sync started.
	// +optional
	DeployStartedAt *metav1.Time `json:"deployStartedAt,omitempty"`
	// Sources synced from, for multi-source Applications.
	// +optional
	// +listType=atomic
	Sources ApplicationSources `json:"sources,omitempty"`
	// Revisions synced to, one per source.
	// +optional
	// +listType=atomic
	Revisions []string `json:"revisions,omitempty"`
	// InitiatedBy records who started the sync.
	// +optional
	InitiatedBy OperationInitiator `json:"initiatedBy,omitempty"`
}

// ApplicationCondition is an error or warning about an Application.
type ApplicationCondition struct {
	// Type of the condition; types ending in Error are errors, in Warning warnings.
	Type ApplicationConditionType `json:"type"`
	// Message explains the condition.
	Message string `json:"message"`
	// LastTransitionTime is when the condition was first observed.
	// +optional
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
}

// ApplicationConditionType names a kind of Application condition.
type ApplicationConditionType string

// Condition types, spelled as in Argo CD.
const (
	// ApplicationConditionDeletionError means deleting the Application's resources failed.
	ApplicationConditionDeletionError ApplicationConditionType = "DeletionError"
	// ApplicationConditionInvalidSpecError means the spec is invalid or not permitted by the project.
	ApplicationConditionInvalidSpecError ApplicationConditionType = "InvalidSpecError"
	// ApplicationConditionComparisonError means target and live state could not be compared.
	ApplicationConditionComparisonError ApplicationConditionType = "ComparisonError"
	// ApplicationConditionSyncError means an automated sync could not be started.
	ApplicationConditionSyncError ApplicationConditionType = "SyncError"
	// ApplicationConditionUnknownError means an unexpected controller error.
	ApplicationConditionUnknownError ApplicationConditionType = "UnknownError"
	// ApplicationConditionSharedResourceWarning means a resource is also managed by another Application.
	ApplicationConditionSharedResourceWarning ApplicationConditionType = "SharedResourceWarning"
	// ApplicationConditionRepeatedResourceWarning means the target state holds the same resource twice.
	ApplicationConditionRepeatedResourceWarning ApplicationConditionType = "RepeatedResourceWarning"
	// ApplicationConditionExcludedResourceWarning means the target state holds an excluded resource.
	ApplicationConditionExcludedResourceWarning ApplicationConditionType = "ExcludedResourceWarning"
	// ApplicationConditionOrphanedResourceWarning means the destination namespace holds unmanaged resources.
	ApplicationConditionOrphanedResourceWarning ApplicationConditionType = "OrphanedResourceWarning"
)

// IsError reports whether the condition is an error rather than a warning.
func (c *ApplicationCondition) IsError() bool {
	return strings.HasSuffix(string(c.Type), "Error")
}

// ApplicationSummary lists facts about the managed resources.
type ApplicationSummary struct {
	// ExternalURLs are the URLs the resources are reachable at (Ingress hosts,
	// link annotations).
	// +optional
	// +listType=atomic
	ExternalURLs []string `json:"externalURLs,omitempty"`
	// Images are the container images the resources run.
	// +optional
	// +listType=atomic
	Images []string `json:"images,omitempty"`
	// IsAppOfApps is true when the Application manages other Applications.
	// +optional
	IsAppOfApps bool `json:"isAppOfApps,omitempty"`
}

// SourceHydratorStatus is the state of source hydration.
type SourceHydratorStatus struct {
	// LastSuccessfulOperation is the last hydration that succeeded.
	// +optional
	LastSuccessfulOperation *SuccessfulHydrateOperation `json:"lastSuccessfulOperation,omitempty"`
	// CurrentOperation is the running or last hydration.
	// +optional
	CurrentOperation *HydrateOperation `json:"currentOperation,omitempty"`
	// LastComparedDryRevision is the dry source revision last checked for changes.
	// +optional
	LastComparedDryRevision string `json:"lastComparedDryRevision,omitempty"`
}

// HydrateOperation is one hydration of the dry source.
type HydrateOperation struct {
	// StartedAt is when the hydration started.
	// +optional
	StartedAt metav1.Time `json:"startedAt,omitempty"`
	// FinishedAt is when the hydration finished.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// Phase is Hydrating, Failed or Hydrated.
	Phase HydrateOperationPhase `json:"phase"`
	// Message explains the phase.
	Message string `json:"message"`
	// DrySHA is the dry source commit that was rendered.
	// +optional
	DrySHA string `json:"drySHA,omitempty"`
	// HydratedSHA is the commit holding the rendered manifests.
	// +optional
	HydratedSHA string `json:"hydratedSHA,omitempty"`
	// SourceHydrator is the configuration the hydration used.
	// +optional
	SourceHydrator SourceHydrator `json:"sourceHydrator,omitempty"`
}

// SuccessfulHydrateOperation is the last hydration that succeeded.
type SuccessfulHydrateOperation struct {
	// DrySHA is the dry source commit that was rendered.
	// +optional
	DrySHA string `json:"drySHA,omitempty"`
	// HydratedSHA is the commit holding the rendered manifests.
	// +optional
	HydratedSHA string `json:"hydratedSHA,omitempty"`
	// SourceHydrator is the configuration the hydration used.
	// +optional
	SourceHydrator SourceHydrator `json:"sourceHydrator,omitempty"`
}

// HydrateOperationPhase is the phase of a hydration.
// +enum
type HydrateOperationPhase string

// Hydration phases, spelled as in Argo CD.
const (
	HydrateOperationPhaseHydrating HydrateOperationPhase = "Hydrating"
	HydrateOperationPhaseFailed    HydrateOperationPhase = "Failed"
	HydrateOperationPhaseHydrated  HydrateOperationPhase = "Hydrated"
)
