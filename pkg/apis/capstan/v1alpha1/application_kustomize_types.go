package v1alpha1

import (
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ApplicationSourceKustomize holds the overrides applied to a kustomization
// before it is built.
type ApplicationSourceKustomize struct {
	// NamePrefix is prepended to the names of all resources.
	// +optional
	NamePrefix string `json:"namePrefix,omitempty"`
	// NameSuffix is appended to the names of all resources.
	// +optional
	NameSuffix string `json:"nameSuffix,omitempty"`
	// Images override container images, each as [old=]name[:tag][@digest].
	// +optional
	// +listType=atomic
	Images KustomizeImages `json:"images,omitempty"`
	// CommonLabels are added to all resources (and their selectors unless
	// labelWithoutSelector is set).
	// +optional
	CommonLabels map[string]string `json:"commonLabels,omitempty"`
	// Version names the Kustomize binary version to build with.
	// +optional
	Version string `json:"version,omitempty"`
	// CommonAnnotations are added to all resources.
	// +optional
	CommonAnnotations map[string]string `json:"commonAnnotations,omitempty"`
	// ForceCommonLabels overwrites labels that resources already have.
	// +optional
	ForceCommonLabels bool `json:"forceCommonLabels,omitempty"`
	// ForceCommonAnnotations overwrites annotations that resources already have.
	// +optional
	ForceCommonAnnotations bool `json:"forceCommonAnnotations,omitempty"`
	// Namespace is set on all namespaced resources.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// CommonAnnotationsEnvsubst substitutes build environment variables
	// (${ARGOCD_APP_NAME}, ...) in the values of commonAnnotations.
	// +optional
	CommonAnnotationsEnvsubst bool `json:"commonAnnotationsEnvsubst,omitempty"`
	// Replicas override the replica counts of named workloads.
	// +optional
	// +listType=atomic
	Replicas KustomizeReplicas `json:"replicas,omitempty"`
	// Patches are added to the kustomization's patches.
	// +optional
	// +listType=atomic
	Patches KustomizePatches `json:"patches,omitempty"`
	// Components are added to the kustomization's components.
	// +optional
	// +listType=atomic
	Components []string `json:"components,omitempty"`
	// IgnoreMissingComponents skips components that do not exist instead of failing.
	// +optional
	IgnoreMissingComponents bool `json:"ignoreMissingComponents,omitempty"`
	// LabelWithoutSelector adds commonLabels without adding them to selectors.
	// +optional
	LabelWithoutSelector bool `json:"labelWithoutSelector,omitempty"`
	// KubeVersion is the Kubernetes version used when Kustomize inflates Helm
	// charts; empty means the destination cluster's.
	// +optional
	KubeVersion string `json:"kubeVersion,omitempty"`
	// APIVersions are the API versions used when Kustomize inflates Helm charts;
	// empty means the destination cluster's.
	// +optional
	// +listType=atomic
	APIVersions []string `json:"apiVersions,omitempty"`
	// LabelIncludeTemplates also adds commonLabels to pod templates when
	// labelWithoutSelector is set.
	// +optional
	LabelIncludeTemplates bool `json:"labelIncludeTemplates,omitempty"`
}

// KustomizeImage is an image override in Kustomize's edit set image syntax:
// [old_name=]name[:tag][@digest].
type KustomizeImage string

// KustomizeImages is a list of image overrides.
type KustomizeImages []KustomizeImage

// KustomizeReplica overrides the replica count of a Deployment or StatefulSet.
type KustomizeReplica struct {
	// Name of the Deployment or StatefulSet.
	Name string `json:"name"`
	// Count is the replica count; a string must hold a non-negative integer.
	Count intstr.IntOrString `json:"count"`
}

// KustomizeReplicas is a list of replica overrides.
type KustomizeReplicas []KustomizeReplica

// KustomizePatches is a list of Kustomize patches.
type KustomizePatches []KustomizePatch

// KustomizePatch is a strategic-merge or JSON 6902 patch, given inline or as a
// file, applied to the resources its target selects.
type KustomizePatch struct {
	// Path is a patch file relative to the kustomization.
	// +optional
	Path string `json:"path,omitempty"`
	// Patch is the patch itself, inline.
	// +optional
	Patch string `json:"patch,omitempty"`
	// Target selects the resources patched; empty means those the patch names.
	// +optional
	Target *KustomizeSelector `json:"target,omitempty"`
	// Options are Kustomize patch options such as allowNameChange and allowKindChange.
	// +optional
	Options map[string]bool `json:"options,omitempty"`
}

// KustomizeSelector selects resources by id and by label and annotation selectors.
type KustomizeSelector struct {
	// KustomizeResId matches group, version, kind, name and namespace.
	KustomizeResId `json:",inline,omitempty"`
	// AnnotationSelector is an annotation selector in label-selector syntax.
	// +optional
	AnnotationSelector string `json:"annotationSelector,omitempty"`
	// LabelSelector is a label selector.
	// +optional
	LabelSelector string `json:"labelSelector,omitempty"`
}

// KustomizeResId identifies resources by group, version, kind, name and namespace.
type KustomizeResId struct {
	// KustomizeGvk matches group, version and kind.
	KustomizeGvk `json:",inline,omitempty"`
	// Name of the resource; a regular expression in Kustomize.
	// +optional
	Name string `json:"name,omitempty"`
	// Namespace of the resource.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// KustomizeGvk matches resources by group, version and kind.
type KustomizeGvk struct {
	// Group of the resource.
	// +optional
	Group string `json:"group,omitempty"`
	// Version of the resource.
	// +optional
	Version string `json:"version,omitempty"`
	// Kind of the resource.
	// +optional
	Kind string `json:"kind,omitempty"`
}
