// +k8s:deepcopy-gen=package
// +groupName=capstan.dev

// Package capstan holds the internal (hub) types of the capstan.dev API group.
// The type files are generated from v1alpha1 by hack/internal-types (make generate)
// while v1alpha1 is the only version; validation and the registry work on them.
package capstan
