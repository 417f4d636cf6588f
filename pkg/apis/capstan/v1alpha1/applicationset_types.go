package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// +genclient
// +genclient:method=GetPreview,verb=get,subresource=preview,result=ApplicationSetPreview
// +genclient:method=Preview,verb=create,subresource=preview,input=ApplicationSet,result=ApplicationSetPreview
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationSet stamps out Applications from one template: every parameter set
// its generators produce is rendered into the template and becomes one
// Application owned by the ApplicationSet. Same shape as Argo CD's ApplicationSet.
type ApplicationSet struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec holds the generators and the Application template.
	Spec ApplicationSetSpec `json:"spec"`
	// Status is written by the ApplicationSet controller.
	// +optional
	Status ApplicationSetStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ApplicationSetList is a page of ApplicationSets.
type ApplicationSetList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the ApplicationSets of this page.
	Items []ApplicationSet `json:"items"`
}

// ApplicationSetSpec is the desired state of an ApplicationSet.
type ApplicationSetSpec struct {
	// GoTemplate renders templates with Go text/template (plus Sprig) instead of
	// the default {{param}} substitution.
	// +optional
	GoTemplate bool `json:"goTemplate,omitempty"`
	// Generators produce the parameter sets; the results of all entries are concatenated.
	// +listType=atomic
	Generators []ApplicationSetGenerator `json:"generators"`
	// Template is rendered once per parameter set into an Application.
	Template ApplicationSetTemplate `json:"template"`
	// SyncPolicy limits what the controller may do to the Applications it generated.
	// +optional
	SyncPolicy *ApplicationSetSyncPolicy `json:"syncPolicy,omitempty"`
	// Strategy controls the order in which generated Applications are synced and deleted.
	// +optional
	Strategy *ApplicationSetStrategy `json:"strategy,omitempty"`
	// PreservedFields names annotations and labels of generated Applications that
	// the controller leaves alone when it updates them.
	// +optional
	PreservedFields *ApplicationPreservedFields `json:"preservedFields,omitempty"`
	// GoTemplateOptions are passed to text/template's Option, for example
	// "missingkey=error". Only used with goTemplate.
	// +optional
	// +listType=atomic
	GoTemplateOptions []string `json:"goTemplateOptions,omitempty"`
	// ApplyNestedSelectors is accepted for compatibility; selectors of nested
	// generators are always applied.
	// +optional
	ApplyNestedSelectors bool `json:"applyNestedSelectors,omitempty"`
	// IgnoreApplicationDifferences lists fields of generated Applications that the
	// controller does not overwrite when they differ from the rendered template.
	// +optional
	// +listType=atomic
	IgnoreApplicationDifferences []ApplicationSetResourceIgnoreDifferences `json:"ignoreApplicationDifferences,omitempty"`
	// TemplatePatch is a Go template rendered per parameter set into YAML or JSON
	// and merged over the rendered template, so that non-string fields can be
	// templated too. Requires goTemplate.
	// +optional
	TemplatePatch *string `json:"templatePatch,omitempty"`
}

// ApplicationPreservedFields names metadata keys of generated Applications that
// survive updates by the ApplicationSet controller.
type ApplicationPreservedFields struct {
	// Annotations whose values on a generated Application are kept.
	// +optional
	// +listType=atomic
	Annotations []string `json:"annotations,omitempty"`
	// Labels whose values on a generated Application are kept.
	// +optional
	// +listType=atomic
	Labels []string `json:"labels,omitempty"`
}

// ApplicationsSyncPolicy says which changes the controller may make to generated
// Applications: create-only, create-update, create-delete or sync (all; the default).
// +enum
type ApplicationsSyncPolicy string

// Values of ApplicationsSyncPolicy, spelled as in Argo CD.
const (
	ApplicationsSyncPolicyCreateOnly   ApplicationsSyncPolicy = "create-only"
	ApplicationsSyncPolicyCreateUpdate ApplicationsSyncPolicy = "create-update"
	ApplicationsSyncPolicyCreateDelete ApplicationsSyncPolicy = "create-delete"
	ApplicationsSyncPolicySync         ApplicationsSyncPolicy = "sync"
)

// AllowUpdate reports whether the policy lets the controller update existing Applications.
func (s ApplicationsSyncPolicy) AllowUpdate() bool {
	return s == ApplicationsSyncPolicyCreateUpdate || s == ApplicationsSyncPolicySync
}

// AllowDelete reports whether the policy lets the controller delete Applications
// that are no longer generated.
func (s ApplicationsSyncPolicy) AllowDelete() bool {
	return s == ApplicationsSyncPolicySync || s == ApplicationsSyncPolicyCreateDelete
}

// ApplicationSetSyncPolicy ties the lifecycle of generated Applications to the ApplicationSet.
type ApplicationSetSyncPolicy struct {
	// PreserveResourcesOnDeletion leaves the resource finalizer off generated
	// Applications, so deleting them keeps the workloads they deployed.
	// +optional
	PreserveResourcesOnDeletion bool `json:"preserveResourcesOnDeletion,omitempty"`
	// ApplicationsSync is one of create-only, create-update, create-delete or sync;
	// unset means sync.
	// +optional
	ApplicationsSync *ApplicationsSyncPolicy `json:"applicationsSync,omitempty"`
}

// Values of ApplicationSetStrategy.Type.
const (
	// ApplicationSetStrategyTypeAllAtOnce syncs generated Applications as they change (the default).
	ApplicationSetStrategyTypeAllAtOnce = "AllAtOnce"
	// ApplicationSetStrategyTypeRollingSync syncs generated Applications step by step (progressive sync).
	ApplicationSetStrategyTypeRollingSync = "RollingSync"
)

// Values of ApplicationSetStrategy.DeletionOrder.
const (
	// ApplicationSetDeletionOrderAllAtOnce deletes generated Applications together (the default).
	ApplicationSetDeletionOrderAllAtOnce = "AllAtOnce"
	// ApplicationSetDeletionOrderReverse deletes generated Applications in reverse RollingSync step order.
	ApplicationSetDeletionOrderReverse = "Reverse"
)

// ApplicationSetStrategy sets the order in which generated Applications are
// synced and deleted.
type ApplicationSetStrategy struct {
	// Type is AllAtOnce (default) or RollingSync.
	// +optional
	Type string `json:"type,omitempty"`
	// RollingSync holds the steps of a RollingSync strategy.
	// +optional
	RollingSync *ApplicationSetRolloutStrategy `json:"rollingSync,omitempty"`
	// DeletionOrder is AllAtOnce (default) or Reverse, which deletes Applications
	// step by step starting from the last RollingSync step.
	// +optional
	DeletionOrder string `json:"deletionOrder,omitempty"`
}

// ApplicationSetRolloutStrategy is an ordered list of rollout steps.
type ApplicationSetRolloutStrategy struct {
	// Steps are run in order; a step starts when every Application of the previous one is healthy.
	// +optional
	// +listType=atomic
	Steps []ApplicationSetRolloutStep `json:"steps,omitempty"`
}

// ApplicationSetRolloutStep selects the generated Applications synced together in one step.
type ApplicationSetRolloutStep struct {
	// MatchExpressions select Applications by their labels; all must match.
	// +optional
	// +listType=atomic
	MatchExpressions []ApplicationMatchExpression `json:"matchExpressions,omitempty"`
	// MaxUpdate bounds how many Applications of the step sync at once, as a
	// number or a percentage of the step; unset means all of them.
	// +optional
	MaxUpdate *intstr.IntOrString `json:"maxUpdate,omitempty"`
}

// Operators of ApplicationMatchExpression.
const (
	ApplicationMatchOperatorIn    = "In"
	ApplicationMatchOperatorNotIn = "NotIn"
)

// ApplicationMatchExpression matches a label of generated Applications against a set of values.
type ApplicationMatchExpression struct {
	// Key is the label key.
	// +optional
	Key string `json:"key,omitempty"`
	// Operator is In or NotIn.
	// +optional
	Operator string `json:"operator,omitempty"`
	// Values the label value is compared with.
	// +optional
	// +listType=atomic
	Values []string `json:"values,omitempty"`
}

// ApplicationSetResourceIgnoreDifferences names fields of generated Applications
// that the controller leaves as they are in the cluster.
type ApplicationSetResourceIgnoreDifferences struct {
	// Name restricts the rule to the generated Application of this name; empty means all.
	// +optional
	Name string `json:"name,omitempty"`
	// JSONPointers (RFC 6901) of the fields to ignore.
	// +optional
	// +listType=atomic
	JSONPointers []string `json:"jsonPointers,omitempty"`
	// JQPathExpressions select the fields to ignore with jq path expressions.
	// +optional
	// +listType=atomic
	JQPathExpressions []string `json:"jqPathExpressions,omitempty"`
}

// ApplicationSetTemplate is the Application every parameter set is rendered into.
type ApplicationSetTemplate struct {
	// Metadata is the metadata of generated Applications. (Argo CD embeds
	// ApplicationSetTemplateMeta here; the apply configuration generator only
	// supports embedding ObjectMeta, so it is a named field.)
	Metadata ApplicationSetTemplateMeta `json:"metadata"`
	// Spec is the spec of generated Applications; string fields may hold parameters.
	Spec ApplicationSpec `json:"spec"`
}

// ApplicationSetTemplateMeta is the part of ObjectMeta a template may set on generated Applications.
type ApplicationSetTemplateMeta struct {
	// Name of the generated Application.
	// +optional
	Name string `json:"name,omitempty"`
	// Namespace of the generated Application; defaults to the ApplicationSet's.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Labels of the generated Application.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations of the generated Application.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// Finalizers of the generated Application.
	// +optional
	// +listType=atomic
	Finalizers []string `json:"finalizers,omitempty"`
}

// ApplicationSetStatus is the observed state of an ApplicationSet.
type ApplicationSetStatus struct {
	// Conditions report errors, parameter generation and rollout progress.
	// +optional
	// +listType=atomic
	Conditions []ApplicationSetCondition `json:"conditions,omitempty"`
	// ApplicationStatus tracks each generated Application through a progressive sync.
	// +optional
	// +listType=atomic
	ApplicationStatus []ApplicationSetApplicationStatus `json:"applicationStatus,omitempty"`
	// Resources are the generated Applications with their sync and health status;
	// the list is bounded, see resourcesCount.
	// +optional
	// +listType=atomic
	Resources []ResourceStatus `json:"resources,omitempty"`
	// ResourcesCount is the number of generated Applications, which may exceed
	// the length of resources when that list was truncated.
	// +optional
	ResourcesCount int64 `json:"resourcesCount,omitempty"`
	// Health aggregates the health of the generated Applications.
	// +optional
	Health HealthStatus `json:"health,omitempty"`
}

// ApplicationSetCondition is one observation about an ApplicationSet.
type ApplicationSetCondition struct {
	// Type of the condition, for example ErrorOccurred.
	Type ApplicationSetConditionType `json:"type"`
	// Message explains the condition to a human.
	Message string `json:"message"`
	// LastTransitionTime is when the condition last changed.
	// +optional
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
	// Status is True, False or Unknown.
	Status ApplicationSetConditionStatus `json:"status"`
	// Reason is a CamelCase word saying why the condition has its status.
	Reason string `json:"reason"`
}

// ApplicationSetConditionStatus is True, False or Unknown.
type ApplicationSetConditionStatus string

// Values of ApplicationSetConditionStatus.
const (
	ApplicationSetConditionStatusTrue    ApplicationSetConditionStatus = "True"
	ApplicationSetConditionStatusFalse   ApplicationSetConditionStatus = "False"
	ApplicationSetConditionStatusUnknown ApplicationSetConditionStatus = "Unknown"
)

// ApplicationSetConditionType names a kind of ApplicationSet condition.
type ApplicationSetConditionType string

// Condition types, spelled as in Argo CD.
const (
	ApplicationSetConditionErrorOccurred        ApplicationSetConditionType = "ErrorOccurred"
	ApplicationSetConditionParametersGenerated  ApplicationSetConditionType = "ParametersGenerated"
	ApplicationSetConditionResourcesUpToDate    ApplicationSetConditionType = "ResourcesUpToDate"
	ApplicationSetConditionRolloutProgressing   ApplicationSetConditionType = "RolloutProgressing"
	ApplicationSetConditionInvalidRolloutConfig ApplicationSetConditionType = "InvalidRolloutConfig"
)

// Condition reasons, spelled as in Argo CD.
const (
	ApplicationSetReasonErrorOccurred                    = "ErrorOccurred"
	ApplicationSetReasonApplicationSetUpToDate           = "ApplicationSetUpToDate"
	ApplicationSetReasonParametersGenerated              = "ParametersGenerated"
	ApplicationSetReasonApplicationGenerated             = "ApplicationGeneratedSuccessfully"
	ApplicationSetReasonUpdateApplicationError           = "UpdateApplicationError"
	ApplicationSetReasonApplicationParamsGenerationError = "ApplicationGenerationFromParamsError"
	ApplicationSetReasonRenderTemplateParamsError        = "RenderTemplateParamsError"
	ApplicationSetReasonCreateApplicationError           = "CreateApplicationError"
	ApplicationSetReasonDeleteApplicationError           = "DeleteApplicationError"
	ApplicationSetReasonRefreshApplicationError          = "RefreshApplicationError"
	ApplicationSetReasonApplicationValidationError       = "ApplicationValidationError"
	ApplicationSetReasonApplicationSetModified           = "ApplicationSetModified"
	ApplicationSetReasonApplicationSetRolloutComplete    = "ApplicationSetRolloutComplete"
	ApplicationSetReasonSyncApplicationError             = "SyncApplicationError"
)

// Values of ApplicationSetApplicationStatus.Status during a progressive sync.
const (
	ProgressiveSyncWaiting     = "Waiting"
	ProgressiveSyncPending     = "Pending"
	ProgressiveSyncProgressing = "Progressing"
	ProgressiveSyncHealthy     = "Healthy"
)

// ApplicationSetApplicationStatus is the progressive-sync state of one generated Application.
type ApplicationSetApplicationStatus struct {
	// Application is the name of the generated Application.
	Application string `json:"application"`
	// LastTransitionTime is when status last changed.
	// +optional
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
	// Message explains the status.
	Message string `json:"message"`
	// Status is Waiting, Pending, Progressing or Healthy.
	Status string `json:"status"`
	// Step is the RollingSync step, counted from 1, that the Application belongs to.
	Step string `json:"step"`
	// TargetRevisions are the revisions the Application is expected to sync to.
	// +listType=atomic
	TargetRevisions []string `json:"targetRevisions"`
}
