package health

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Annotations and finalizers that change how health is assessed or
// aggregated. They keep Argo CD's names because users put them on their
// manifests in Git.
const (
	// AnnotationHook marks an object as an Argo CD sync hook (CSV of hook types).
	AnnotationHook = "argocd.argoproj.io/hook"
	// AnnotationHelmHook marks an object as a Helm hook.
	AnnotationHelmHook = "helm.sh/hook"
	// AnnotationIgnoreHealthCheck set to "true" leaves a resource out of the
	// application's health.
	AnnotationIgnoreHealthCheck = "argocd.argoproj.io/ignore-healthcheck"
	// AnnotationIgnoreRestartPolicy set to "true" assesses a Never or
	// OnFailure Pod that is not a hook like a long-running one.
	AnnotationIgnoreRestartPolicy = "argocd.argoproj.io/ignore-restart-policy"
	// HookFinalizer is the finalizer the sync engine puts on hooks so that
	// their result is not lost if they are deleted early. A hook that is being
	// deleted but still carries it is assessed normally, not as pending
	// deletion.
	HookFinalizer = "argocd.argoproj.io/hook-finalizer"
)

const (
	hookTypeSkip    = "Skip"
	helmCRDInstall  = "crd-install"
	annotationTrue  = "true"
	typeSeparator   = ","
	finalizersField = "finalizers"
)

// IsHook reports whether obj is a sync hook as Argo CD sees it: it carries
// argocd.argoproj.io/hook with anything but Skip alone, or, without that
// annotation, a Helm hook annotation other than crd-install (which Argo CD
// applies as a normal resource). Hooks whose types are not recognised are
// still hooks: Argo CD ignores them, and so does health aggregation.
func IsHook(obj *unstructured.Unstructured) bool {
	if obj == nil {
		return false
	}
	return isHook(obj.Object)
}

func isHook(obj map[string]any) bool {
	if hasAnnotation(obj, AnnotationHook) {
		return !isSkipHook(obj)
	}
	if !hasAnnotation(obj, AnnotationHelmHook) {
		return false
	}
	for _, hookType := range strings.Split(annotation(obj, AnnotationHelmHook), typeSeparator) {
		if strings.TrimSpace(hookType) != helmCRDInstall {
			return true
		}
	}
	return false
}

// IsSkipHook reports whether obj is annotated with the Skip hook type alone:
// such an object is never applied and does not count in sync or health.
func IsSkipHook(obj *unstructured.Unstructured) bool {
	if obj == nil {
		return false
	}
	return isSkipHook(obj.Object)
}

func isSkipHook(obj map[string]any) bool {
	types := strings.Split(annotation(obj, AnnotationHook), typeSeparator)
	for _, hookType := range types {
		if strings.TrimSpace(hookType) == hookTypeSkip {
			return len(types) == 1
		}
	}
	return false
}

// pendingDeletion reports whether obj is being deleted and is not a hook held
// by the hook finalizer. It reads the object directly: GetDeletionTimestamp
// parses the time and GetFinalizers copies the list.
func pendingDeletion(obj map[string]any) bool {
	metadata, _ := obj["metadata"].(map[string]any)
	if timestamp, _ := metadata["deletionTimestamp"].(string); timestamp == "" {
		return false
	}
	finalizers, _ := metadata[finalizersField].([]any)
	for _, finalizer := range finalizers {
		if finalizer == HookFinalizer {
			return false
		}
	}
	return true
}
