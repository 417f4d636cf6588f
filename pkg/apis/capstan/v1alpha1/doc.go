// +k8s:openapi-gen=true
// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=capstan.dev/capstan/pkg/apis/capstan
// +k8s:defaulter-gen=TypeMeta
// +groupName=capstan.dev
// +k8s:openapi-model-package=dev.capstan.v1alpha1

// Package v1alpha1 is the v1alpha1 version of the capstan.dev API: Argo CD's
// argoproj.io/v1alpha1 Application, ApplicationSet and AppProject with identical
// field names, JSON shapes, defaults and enum values, plus the kinds spoken by the
// Application subresources.
package v1alpha1
