package v1alpha1

// SourceIntegrity holds the checks sources must pass before they are synced.
type SourceIntegrity struct {
	// Git holds the checks for Git sources.
	// +optional
	Git *SourceIntegrityGit `json:"git,omitempty"`
	// Helm holds the checks for Helm chart sources.
	// +optional
	Helm *SourceIntegrityHelm `json:"helm,omitempty"`
}

// SourceIntegrityGit holds the checks for Git sources.
type SourceIntegrityGit struct {
	// Policies are applied to the repositories they match.
	// +listType=atomic
	Policies []*SourceIntegrityGitPolicy `json:"policies"`
}

// SourceIntegrityGitPolicy is a check applied to matching Git repositories.
type SourceIntegrityGitPolicy struct {
	// Repos select the repositories the policy applies to.
	// +listType=atomic
	Repos []SourceIntegrityGitPolicyRepo `json:"repos"`
	// GPG verifies commit and tag signatures.
	GPG *SourceIntegrityGitPolicyGPG `json:"gpg"`
}

// SourceIntegrityGitPolicyRepo selects repositories by URL.
type SourceIntegrityGitPolicyRepo struct {
	// URL is a glob pattern of repository URLs.
	URL string `json:"url"`
}

// SourceIntegrityGitPolicyGPG verifies that commits are signed by trusted keys.
type SourceIntegrityGitPolicyGPG struct {
	// Mode is none, head (the target revision only) or strict (its whole history).
	Mode SourceIntegrityGitPolicyGPGMode `json:"mode"`
	// Keys are the IDs of the trusted keys.
	// +listType=atomic
	Keys []string `json:"keys"`
}

// SourceIntegrityGitPolicyGPGMode is how much history GPG verification covers.
// +enum
type SourceIntegrityGitPolicyGPGMode string

// GPG verification modes, spelled as in Argo CD.
const (
	SourceIntegrityGitPolicyGPGModeNone   SourceIntegrityGitPolicyGPGMode = "none"
	SourceIntegrityGitPolicyGPGModeHead   SourceIntegrityGitPolicyGPGMode = "head"
	SourceIntegrityGitPolicyGPGModeStrict SourceIntegrityGitPolicyGPGMode = "strict"
)

// SourceIntegrityHelm holds the checks for Helm chart sources.
type SourceIntegrityHelm struct {
	// Policies are applied to the repositories they match.
	// +listType=atomic
	Policies []*SourceIntegrityHelmPolicy `json:"policies"`
}

// SourceIntegrityHelmPolicy is a check applied to matching Helm repositories.
type SourceIntegrityHelmPolicy struct {
	// Repos select the repositories the policy applies to.
	// +listType=atomic
	Repos []SourceIntegrityHelmPolicyRepo `json:"repos"`
	// Provenance verifies chart provenance files.
	Provenance *SourceIntegrityHelmPolicyProvenance `json:"provenance"`
}

// SourceIntegrityHelmPolicyRepo selects Helm repositories by URL.
type SourceIntegrityHelmPolicyRepo struct {
	// URL is a glob pattern of repository URLs.
	URL string `json:"url"`
}

// SourceIntegrityHelmPolicyProvenance requires charts to be signed by trusted keys.
type SourceIntegrityHelmPolicyProvenance struct {
	// Keys are the IDs of the trusted keys; an empty list trusts none.
	// +listType=atomic
	Keys []string `json:"keys"`
}
