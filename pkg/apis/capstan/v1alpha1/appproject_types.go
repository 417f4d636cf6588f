package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// AppProject groups Applications and restricts what they may deploy, from where
// and to where, who may act on them, and when they may sync. It has the shape of
// Argo CD's AppProject but is cluster-scoped.
type AppProject struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata"`

	// Spec holds the project's restrictions.
	Spec AppProjectSpec `json:"spec"`
	// Status holds the JWT tokens issued for the project's roles.
	// +optional
	Status AppProjectStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// AppProjectList is a list of AppProjects.
type AppProjectList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the AppProjects.
	Items []AppProject `json:"items"`
}

// AppProjectSpec is the set of restrictions a project puts on its Applications.
type AppProjectSpec struct {
	// SourceRepos are glob patterns of the repository URLs Applications may use.
	// A pattern starting with ! denies; a URL is permitted when some pattern
	// allows it and none denies it.
	// +optional
	// +listType=atomic
	SourceRepos []string `json:"sourceRepos,omitempty"`
	// Destinations are the clusters and namespaces Applications may deploy to;
	// each field is a glob pattern, ! denies.
	// +optional
	// +listType=atomic
	Destinations []ApplicationDestination `json:"destinations,omitempty"`
	// Description of the project, at most 255 characters.
	// +optional
	Description string `json:"description,omitempty"`
	// Roles are project-scoped RBAC roles with their policies, groups and tokens.
	// +optional
	// +listType=atomic
	Roles []ProjectRole `json:"roles,omitempty"`
	// ClusterResourceWhitelist lists the cluster-scoped kinds Applications may
	// deploy; empty allows none.
	// +optional
	// +listType=atomic
	ClusterResourceWhitelist []ClusterResourceRestrictionItem `json:"clusterResourceWhitelist,omitempty"`
	// NamespaceResourceBlacklist lists namespaced kinds Applications may not deploy.
	// +optional
	// +listType=atomic
	NamespaceResourceBlacklist []metav1.GroupKind `json:"namespaceResourceBlacklist,omitempty"`
	// OrphanedResources turns on reporting of unmanaged resources in destination namespaces.
	// +optional
	OrphanedResources *OrphanedResourcesMonitorSettings `json:"orphanedResources,omitempty"`
	// SyncWindows are schedules that allow or deny syncs.
	// +optional
	// +listType=atomic
	SyncWindows SyncWindows `json:"syncWindows,omitempty"`
	// NamespaceResourceWhitelist lists the namespaced kinds Applications may
	// deploy; unset allows all, set allows only those listed.
	// +optional
	// +listType=atomic
	NamespaceResourceWhitelist []metav1.GroupKind `json:"namespaceResourceWhitelist,omitempty"`
	// SignatureKeys are the GPG key IDs commits must be signed with. Deprecated
	// in favour of sourceIntegrity.
	// +optional
	// +listType=atomic
	SignatureKeys []SignatureKey `json:"signatureKeys,omitempty"`
	// ClusterResourceBlacklist lists cluster-scoped kinds Applications may not deploy.
	// +optional
	// +listType=atomic
	ClusterResourceBlacklist []ClusterResourceRestrictionItem `json:"clusterResourceBlacklist,omitempty"`
	// SourceNamespaces are glob patterns of the namespaces Applications of this
	// project may be created in, besides the controller's own.
	// +optional
	// +listType=atomic
	SourceNamespaces []string `json:"sourceNamespaces,omitempty"`
	// PermitOnlyProjectScopedClusters limits destinations to clusters registered
	// for this project.
	// +optional
	PermitOnlyProjectScopedClusters bool `json:"permitOnlyProjectScopedClusters,omitempty"`
	// DestinationServiceAccounts are the service accounts syncs impersonate, per destination.
	// +optional
	// +listType=atomic
	DestinationServiceAccounts []ApplicationDestinationServiceAccount `json:"destinationServiceAccounts,omitempty"`
	// SourceIntegrity holds the checks sources must pass before they are synced.
	// +optional
	SourceIntegrity *SourceIntegrity `json:"sourceIntegrity,omitempty"`
}

// AppProjectStatus holds state kept by the server for a project.
type AppProjectStatus struct {
	// JWTTokensByRole are the tokens issued for each role, keyed by role name.
	// +optional
	JWTTokensByRole map[string]JWTTokens `json:"jwtTokensByRole,omitempty"`
}

// ProjectRole is a project-scoped RBAC role. Its subject in policies is
// proj:<project>:<role>.
type ProjectRole struct {
	// Name of the role: letters, digits, - and _, starting and ending with a letter or digit.
	Name string `json:"name"`
	// Description of the role.
	// +optional
	Description string `json:"description,omitempty"`
	// Policies are Casbin policy lines of the form
	// p, proj:<project>:<role>, <resource>, <action>, <project>/<object>, allow|deny.
	// +optional
	// +listType=atomic
	Policies []string `json:"policies,omitempty"`
	// JWTTokens are the tokens issued for the role (kept for compatibility; the
	// server keeps them in status.jwtTokensByRole).
	// +optional
	// +listType=atomic
	JWTTokens []JWTToken `json:"jwtTokens,omitempty"`
	// Groups are OIDC groups bound to the role.
	// +optional
	// +listType=atomic
	Groups []string `json:"groups,omitempty"`
}

// JWTToken describes a token issued for a project role.
type JWTToken struct {
	// IssuedAt is when the token was issued, in Unix seconds.
	IssuedAt int64 `json:"iat"`
	// ExpiresAt is when the token expires, in Unix seconds; zero means never.
	// +optional
	ExpiresAt int64 `json:"exp,omitempty"`
	// ID of the token.
	// +optional
	ID string `json:"id,omitempty"`
}

// JWTTokens is a list of tokens.
type JWTTokens struct {
	// Items are the tokens.
	// +optional
	// +listType=atomic
	Items []JWTToken `json:"items,omitempty"`
}

// ClusterResourceRestrictionItem matches cluster-scoped resources by group, kind
// and, optionally, name; each is a glob pattern.
type ClusterResourceRestrictionItem struct {
	// Group of the resources; empty is the core group.
	Group string `json:"group"`
	// Kind of the resources.
	Kind string `json:"kind"`
	// Name of the resources; empty matches every name.
	// +optional
	Name string `json:"name,omitempty"`
}

// OrphanedResourcesMonitorSettings configures reporting of unmanaged resources.
type OrphanedResourcesMonitorSettings struct {
	// Warn adds an OrphanedResourceWarning condition to Applications with
	// orphaned resources.
	// +optional
	Warn *bool `json:"warn,omitempty"`
	// Ignore lists resources never reported as orphaned.
	// +optional
	// +listType=atomic
	Ignore []OrphanedResourceKey `json:"ignore,omitempty"`
}

// OrphanedResourceKey matches resources excluded from orphan reporting; each
// field is a glob pattern.
type OrphanedResourceKey struct {
	// Group of the resources.
	// +optional
	Group string `json:"group,omitempty"`
	// Kind of the resources.
	// +optional
	Kind string `json:"kind,omitempty"`
	// Name of the resources.
	// +optional
	Name string `json:"name,omitempty"`
}

// SignatureKey names a GPG key commits may be signed with.
type SignatureKey struct {
	// KeyID is the key's ID in hexadecimal.
	KeyID string `json:"keyID"`
}

// ApplicationDestinationServiceAccount is the service account syncs to a
// destination impersonate.
type ApplicationDestinationServiceAccount struct {
	// Server is a glob pattern of the destination API server URL.
	Server string `json:"server"`
	// Namespace is a glob pattern of the destination namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// DefaultServiceAccount is the service account impersonated, as name or namespace:name.
	DefaultServiceAccount string `json:"defaultServiceAccount"`
}
