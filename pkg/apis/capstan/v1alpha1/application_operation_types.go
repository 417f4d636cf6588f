package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OperationState is the state of the current or last operation of an Application.
type OperationState struct {
	// Operation is the operation as it was requested.
	Operation Operation `json:"operation"`
	// Phase is the phase of the operation.
	Phase OperationPhase `json:"phase"`
	// Message explains the phase, typically an error.
	// +optional
	Message string `json:"message,omitempty"`
	// SyncResult is the result of a sync operation.
	// +optional
	SyncResult *SyncOperationResult `json:"syncResult,omitempty"`
	// StartedAt is when the operation started.
	StartedAt metav1.Time `json:"startedAt"`
	// FinishedAt is when the operation finished.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// RetryCount is the number of retries made so far.
	// +optional
	RetryCount int64 `json:"retryCount,omitempty"`
}

// OperationPhase is the phase of an operation, or of a hook.
// +enum
type OperationPhase string

// Operation phases, spelled as in Argo CD.
const (
	OperationRunning     OperationPhase = "Running"
	OperationTerminating OperationPhase = "Terminating"
	OperationFailed      OperationPhase = "Failed"
	OperationError       OperationPhase = "Error"
	OperationSucceeded   OperationPhase = "Succeeded"
)

// IsCompleted reports whether the phase is final.
func (p OperationPhase) IsCompleted() bool {
	return p == OperationFailed || p == OperationError || p == OperationSucceeded
}

// SyncOperationResult is the result of a sync.
type SyncOperationResult struct {
	// Resources are the results for each synced resource and hook.
	// +optional
	// +listType=atomic
	Resources ResourceResults `json:"resources,omitempty"`
	// Revision synced to.
	Revision string `json:"revision"`
	// Source synced from; automated sync compares it to avoid repeating a sync.
	// +optional
	Source ApplicationSource `json:"source,omitempty"`
	// Sources synced from, for multi-source Applications.
	// +optional
	// +listType=atomic
	Sources ApplicationSources `json:"sources,omitempty"`
	// Revisions synced to, one per source.
	// +optional
	// +listType=atomic
	Revisions []string `json:"revisions,omitempty"`
	// ManagedNamespaceMetadata is the namespace metadata applied by the sync.
	// +optional
	ManagedNamespaceMetadata *ManagedNamespaceMetadata `json:"managedNamespaceMetadata,omitempty"`
}

// ResourceResults are the per-resource results of a sync.
type ResourceResults []*ResourceResult

// ResourceResult is the result of syncing one resource or running one hook.
type ResourceResult struct {
	// Group of the resource.
	Group string `json:"group"`
	// Version of the resource.
	Version string `json:"version"`
	// Kind of the resource.
	Kind string `json:"kind"`
	// Namespace of the resource.
	Namespace string `json:"namespace"`
	// Name of the resource.
	Name string `json:"name"`
	// Status is the outcome for the resource; empty while it is pending and for hooks.
	// +optional
	Status ResultCode `json:"status,omitempty"`
	// Message explains the outcome.
	// +optional
	Message string `json:"message,omitempty"`
	// HookType is the hook type; empty for resources that are not hooks.
	// +optional
	HookType HookType `json:"hookType,omitempty"`
	// HookPhase is the phase of the hook, or of the resource's apply.
	// +optional
	HookPhase OperationPhase `json:"hookPhase,omitempty"`
	// SyncPhase is the sync phase the result belongs to.
	// +optional
	SyncPhase SyncPhase `json:"syncPhase,omitempty"`
	// Images are the container images of the resource.
	// +optional
	// +listType=atomic
	Images []string `json:"images,omitempty"`
}

// ResultCode is the outcome of syncing one resource.
// +enum
type ResultCode string

// Result codes, spelled as in Argo CD.
const (
	ResultCodeSynced       ResultCode = "Synced"
	ResultCodeSyncFailed   ResultCode = "SyncFailed"
	ResultCodePruned       ResultCode = "Pruned"
	ResultCodePruneSkipped ResultCode = "PruneSkipped"
)

// HookType is the type of a sync hook, set by the argocd.argoproj.io/hook annotation.
// +enum
type HookType string

// Hook types, spelled as in Argo CD.
const (
	HookTypePreSync    HookType = "PreSync"
	HookTypeSync       HookType = "Sync"
	HookTypePostSync   HookType = "PostSync"
	HookTypeSkip       HookType = "Skip"
	HookTypeSyncFail   HookType = "SyncFail"
	HookTypePreDelete  HookType = "PreDelete"
	HookTypePostDelete HookType = "PostDelete"
)

// SyncPhase is a phase of a sync.
// +enum
type SyncPhase string

// Sync phases, spelled as in Argo CD.
const (
	SyncPhasePreSync    SyncPhase = "PreSync"
	SyncPhaseSync       SyncPhase = "Sync"
	SyncPhasePostSync   SyncPhase = "PostSync"
	SyncPhaseSyncFail   SyncPhase = "SyncFail"
	SyncPhasePreDelete  SyncPhase = "PreDelete"
	SyncPhasePostDelete SyncPhase = "PostDelete"
)
