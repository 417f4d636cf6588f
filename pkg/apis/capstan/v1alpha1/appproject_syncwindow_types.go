package v1alpha1

// SyncWindows is a list of sync windows.
type SyncWindows []*SyncWindow

// SyncWindow is a recurring period during which syncs of the Applications it
// selects are allowed or denied.
type SyncWindow struct {
	// Kind is allow or deny.
	// +optional
	Kind string `json:"kind,omitempty"`
	// Schedule is when the window opens, as a five-field cron expression.
	// +optional
	Schedule string `json:"schedule,omitempty"`
	// Duration is how long the window stays open, as a Go duration (1h30m).
	// +optional
	Duration string `json:"duration,omitempty"`
	// Applications are glob patterns of the Application names the window applies to.
	// +optional
	// +listType=atomic
	Applications []string `json:"applications,omitempty"`
	// Namespaces are glob patterns of the destination namespaces the window applies to.
	// +optional
	// +listType=atomic
	Namespaces []string `json:"namespaces,omitempty"`
	// Clusters are glob patterns of the destination servers or cluster names the
	// window applies to.
	// +optional
	// +listType=atomic
	Clusters []string `json:"clusters,omitempty"`
	// ManualSync lets manual syncs through while the window denies syncs.
	// +optional
	ManualSync bool `json:"manualSync,omitempty"`
	// TimeZone is the IANA time zone of the schedule; empty means UTC.
	// +optional
	TimeZone string `json:"timeZone,omitempty"`
	// AndOperator makes an Application match only when it matches every
	// non-empty selector, instead of any of them.
	// +optional
	AndOperator bool `json:"andOperator,omitempty"`
	// Description of the window, at most 255 characters.
	// +optional
	Description string `json:"description,omitempty"`
	// SyncOverrun lets syncs that started while they were allowed run on after
	// the window changes.
	// +optional
	SyncOverrun bool `json:"syncOverrun,omitempty"`
}
