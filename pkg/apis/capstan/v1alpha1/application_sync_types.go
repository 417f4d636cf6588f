package v1alpha1

import (
	"strings"
)

// SyncPolicy says when and how an Application is synced.
type SyncPolicy struct {
	// Automated turns on automatic syncs when the target state changes (and, with
	// selfHeal, when the live state drifts). Absent means syncs are manual.
	// +optional
	Automated *SyncPolicyAutomated `json:"automated,omitempty"`
	// SyncOptions are Key=Value options applied to every sync, e.g. CreateNamespace=true.
	// +optional
	// +listType=atomic
	SyncOptions SyncOptions `json:"syncOptions,omitempty"`
	// Retry controls retries of failed syncs.
	// +optional
	Retry *RetryStrategy `json:"retry,omitempty"`
	// ManagedNamespaceMetadata are labels and annotations set on the destination
	// namespace when the CreateNamespace=true option creates it.
	// +optional
	ManagedNamespaceMetadata *ManagedNamespaceMetadata `json:"managedNamespaceMetadata,omitempty"`
}

// IsAutomatedSyncEnabled reports whether automated sync is on: automated is set
// and not explicitly disabled.
func (p *SyncPolicy) IsAutomatedSyncEnabled() bool {
	return p != nil && p.Automated != nil && (p.Automated.Enabled == nil || *p.Automated.Enabled)
}

// SyncPolicyAutomated configures automated sync.
type SyncPolicyAutomated struct {
	// Prune lets automated syncs delete resources that are no longer in the target state.
	// +optional
	Prune bool `json:"prune,omitempty"`
	// SelfHeal re-syncs when the live state drifts from the target state.
	// +optional
	SelfHeal bool `json:"selfHeal,omitempty"`
	// AllowEmpty lets an automated sync with prune delete every resource when the
	// target state is empty.
	// +optional
	AllowEmpty bool `json:"allowEmpty,omitempty"`
	// Enabled switches automated sync on or off while keeping its settings;
	// unset means on.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
}

// SyncOptions are Key=Value sync options such as CreateNamespace=true or
// PrunePropagationPolicy=background.
type SyncOptions []string

// HasOption reports whether the exact option, e.g. "Prune=false", is present.
func (o SyncOptions) HasOption(option string) bool {
	for _, candidate := range o {
		if candidate == option {
			return true
		}
	}
	return false
}

// GetOption returns the value of the option with the given key and whether it is
// present; when the key appears several times the last one wins.
func (o SyncOptions) GetOption(key string) (string, bool) {
	value, found := "", false
	for _, candidate := range o {
		k, v, ok := strings.Cut(candidate, "=")
		if ok && k == key {
			value, found = v, true
		}
	}
	return value, found
}

// RetryStrategy controls retries of a failed sync.
type RetryStrategy struct {
	// Limit is the number of retries; zero means none and a negative value means
	// unlimited.
	// +optional
	Limit int64 `json:"limit,omitempty"`
	// Backoff is the wait between retries.
	// +optional
	Backoff *Backoff `json:"backoff,omitempty"`
	// Refresh lets a retry pick up a newer revision of the sources instead of
	// retrying the failed one.
	// +optional
	Refresh bool `json:"refresh,omitempty"`
}

// Backoff is an exponential backoff: the n-th retry waits duration*factor^n,
// capped at maxDuration.
type Backoff struct {
	// Duration is the first wait, as a Go duration ("30s", "2m") or a number of
	// seconds ("30"). Unset means 5s.
	// +optional
	Duration string `json:"duration,omitempty"`
	// Factor multiplies the wait after each retry. Unset means 2.
	// +optional
	Factor *int64 `json:"factor,omitempty"`
	// MaxDuration caps the wait, in the same format as duration. Unset means 3m.
	// +optional
	MaxDuration string `json:"maxDuration,omitempty"`
}

// ManagedNamespaceMetadata is metadata set on a namespace created by a sync.
type ManagedNamespaceMetadata struct {
	// Labels set on the namespace.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations set on the namespace.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Operation is an operation requested on an Application; sync is the only kind.
type Operation struct {
	// Sync requests a sync.
	// +optional
	Sync *SyncOperation `json:"sync,omitempty"`
	// InitiatedBy records who asked for the operation.
	// +optional
	InitiatedBy OperationInitiator `json:"initiatedBy,omitempty"`
	// Info holds name/value pairs describing the operation.
	// +optional
	// +listType=atomic
	Info []*Info `json:"info,omitempty"`
	// Retry controls retries of the operation when it fails.
	// +optional
	Retry RetryStrategy `json:"retry,omitempty"`
}

// OperationInitiator records who started an operation.
type OperationInitiator struct {
	// Username of the user who started the operation.
	// +optional
	Username string `json:"username,omitempty"`
	// Automated is true when the controller started the operation itself.
	// +optional
	Automated bool `json:"automated,omitempty"`
}

// SyncOperation is the request for one sync.
type SyncOperation struct {
	// Revision to sync to; empty means the source's targetRevision.
	// +optional
	Revision string `json:"revision,omitempty"`
	// Prune deletes resources that are no longer in the target state.
	// +optional
	Prune bool `json:"prune,omitempty"`
	// DryRun plans and validates the sync without changing the destination.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
	// SyncStrategy chooses between apply and hook syncs; unset means hook.
	// +optional
	SyncStrategy *SyncStrategy `json:"syncStrategy,omitempty"`
	// Resources limits the sync to these resources; hooks do not run then.
	// +optional
	// +listType=atomic
	Resources []SyncOperationResource `json:"resources,omitempty"`
	// Source overrides spec.source for this sync; rollbacks set it.
	// +optional
	Source *ApplicationSource `json:"source,omitempty"`
	// Manifests replace the rendered target state for this sync (local sync).
	// +optional
	// +listType=atomic
	Manifests []string `json:"manifests,omitempty"`
	// SyncOptions are sync options for this sync only.
	// +optional
	// +listType=atomic
	SyncOptions SyncOptions `json:"syncOptions,omitempty"`
	// Sources overrides spec.sources for this sync; rollbacks set it.
	// +optional
	// +listType=atomic
	Sources ApplicationSources `json:"sources,omitempty"`
	// Revisions to sync each of spec.sources to, in order.
	// +optional
	// +listType=atomic
	Revisions []string `json:"revisions,omitempty"`
	// SelfHealAttemptsCount counts the self-heal syncs made so far; it drives the
	// self-heal backoff.
	// +optional
	SelfHealAttemptsCount int64 `json:"autoHealAttemptsCount,omitempty"`
}

// SyncOperationResource names a resource included in a selective sync; any
// field may be * to match everything.
type SyncOperationResource struct {
	// Group of the resource; empty is the core group.
	// +optional
	Group string `json:"group,omitempty"`
	// Kind of the resource.
	Kind string `json:"kind"`
	// Name of the resource.
	Name string `json:"name"`
	// Namespace of the resource; empty matches any namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// SyncStrategy chooses how resources are synced: apply only, or with hooks.
type SyncStrategy struct {
	// Apply applies every resource and runs no hooks.
	// +optional
	Apply *SyncStrategyApply `json:"apply,omitempty"`
	// Hook runs PreSync, Sync and PostSync hooks around the apply; the default.
	// +optional
	Hook *SyncStrategyHook `json:"hook,omitempty"`
}

// SyncStrategyApply holds the options of an apply sync.
type SyncStrategyApply struct {
	// Force deletes and re-creates resources that cannot be patched.
	// +optional
	Force bool `json:"force,omitempty"`
}

// SyncStrategyHook holds the options of a hook sync; they are those of apply.
type SyncStrategyHook struct {
	// SyncStrategyApply holds the apply options.
	// +optional
	SyncStrategyApply `json:",inline"`
}
