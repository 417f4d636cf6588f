package sync

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/health"
)

// Annotations users put on their manifests. They keep Argo CD's (and Helm's)
// names, so that a repository written for Argo CD behaves the same.
const (
	AnnotationSyncWave             = "argocd.argoproj.io/sync-wave"
	AnnotationHook                 = health.AnnotationHook
	AnnotationHookDeletePolicy     = "argocd.argoproj.io/hook-delete-policy"
	AnnotationSyncOptions          = "argocd.argoproj.io/sync-options"
	AnnotationDeletionApproved     = "argocd.argoproj.io/deletion-approved"
	AnnotationCSAMigrationManager  = "argocd.argoproj.io/client-side-apply-migration-manager"
	AnnotationHelmHook             = health.AnnotationHelmHook
	AnnotationHelmHookWeight       = "helm.sh/hook-weight"
	AnnotationHelmHookDeletePolicy = "helm.sh/hook-delete-policy"
	AnnotationHelmResourcePolicy   = "helm.sh/resource-policy"
)

// HookFinalizer is put on every hook so that its result is not lost if the
// hook object is deleted before the engine saw it finish.
const HookFinalizer = health.HookFinalizer

const (
	helmResourcePolicyKeep = "keep"
	csvSeparator           = ","
)

// HookDeletePolicy says when a hook object is deleted.
type HookDeletePolicy string

// Hook delete policies, spelled as in Argo CD.
const (
	// HookSucceeded deletes the hook when the operation succeeds.
	HookSucceeded HookDeletePolicy = "HookSucceeded"
	// HookFailed deletes the hook when the operation fails.
	HookFailed HookDeletePolicy = "HookFailed"
	// BeforeHookCreation deletes the previous instance before creating the
	// hook again; the default when no policy is set.
	BeforeHookCreation HookDeletePolicy = "BeforeHookCreation"
)

var helmHookTypes = map[string]v1alpha1.HookType{
	"pre-install":  v1alpha1.HookTypePreSync,
	"pre-upgrade":  v1alpha1.HookTypePreSync,
	"post-install": v1alpha1.HookTypePostSync,
	"post-upgrade": v1alpha1.HookTypePostSync,
	"pre-delete":   v1alpha1.HookTypePreDelete,
	"post-delete":  v1alpha1.HookTypePostDelete,
}

var helmDeletePolicies = map[string]HookDeletePolicy{
	"before-hook-creation": BeforeHookCreation,
	"hook-succeeded":       HookSucceeded,
	"hook-failed":          HookFailed,
}

var argoHookTypes = map[string]v1alpha1.HookType{
	string(v1alpha1.HookTypePreSync):    v1alpha1.HookTypePreSync,
	string(v1alpha1.HookTypeSync):       v1alpha1.HookTypeSync,
	string(v1alpha1.HookTypePostSync):   v1alpha1.HookTypePostSync,
	string(v1alpha1.HookTypeSyncFail):   v1alpha1.HookTypeSyncFail,
	string(v1alpha1.HookTypeSkip):       v1alpha1.HookTypeSkip,
	string(v1alpha1.HookTypePreDelete):  v1alpha1.HookTypePreDelete,
	string(v1alpha1.HookTypePostDelete): v1alpha1.HookTypePostDelete,
}

// HookRules classify the objects of one Application as hooks. Helm hook
// annotations count only while no object of the Application carries Argo
// CD's hook annotation.
type HookRules struct {
	helmIgnored bool
}

// NewHookRules returns the rules for an Application's target objects.
func NewHookRules(targets []*unstructured.Unstructured) HookRules {
	for _, obj := range targets {
		if _, ok := lookupAnnotation(obj, AnnotationHook); ok {
			return HookRules{helmIgnored: true}
		}
	}
	return HookRules{}
}

// IsHook reports whether obj is a hook: Argo CD's annotation with anything but
// Skip alone, or a Helm hook other than crd-install while Helm hooks count.
// A hook is never applied as a regular resource and never pruned.
func (r HookRules) IsHook(obj *unstructured.Unstructured) bool {
	if _, ok := lookupAnnotation(obj, AnnotationHook); ok {
		return !r.IsSkip(obj)
	}
	return !r.helmIgnored && health.IsHook(obj)
}

// IsSkip reports whether obj is annotated with the Skip hook type alone: it is
// never applied, never pruned and has no sync status.
func (r HookRules) IsSkip(obj *unstructured.Unstructured) bool {
	types := r.Types(obj)
	return len(types) == 1 && types[0] == v1alpha1.HookTypeSkip
}

// Types returns the recognised hook types of obj: Argo CD's annotation, or
// else the Helm hooks it maps to (Helm tests and rollback hooks map to none).
func (r HookRules) Types(obj *unstructured.Unstructured) []v1alpha1.HookType {
	var types []v1alpha1.HookType
	for _, value := range annotationCSV(obj, AnnotationHook) {
		if hookType, ok := argoHookTypes[value]; ok && !slices.Contains(types, hookType) {
			types = append(types, hookType)
		}
	}
	if len(types) > 0 || r.helmIgnored {
		return types
	}
	for _, value := range annotationCSV(obj, AnnotationHelmHook) {
		if hookType, ok := helmHookTypes[value]; ok && !slices.Contains(types, hookType) {
			types = append(types, hookType)
		}
	}
	return types
}

// syncPhases returns the phases in which obj is applied: Sync for a regular
// resource, the hook's sync phases (in phase order) for a hook, none for Skip.
func (r HookRules) syncPhases(obj *unstructured.Unstructured) []v1alpha1.SyncPhase {
	if r.IsSkip(obj) {
		return nil
	}
	if !r.IsHook(obj) {
		return []v1alpha1.SyncPhase{v1alpha1.SyncPhaseSync}
	}
	var phases []v1alpha1.SyncPhase
	for _, hookType := range r.Types(obj) {
		switch hookType {
		case v1alpha1.HookTypePreSync, v1alpha1.HookTypeSync, v1alpha1.HookTypePostSync, v1alpha1.HookTypeSyncFail:
			phases = append(phases, v1alpha1.SyncPhase(hookType))
		}
	}
	slices.SortFunc(phases, func(a, b v1alpha1.SyncPhase) int { return phaseOrder[a] - phaseOrder[b] })
	return phases
}

// DeletePolicies returns the delete policies of a hook: Argo CD's and Helm's
// annotations together, BeforeHookCreation when neither sets one.
func DeletePolicies(obj *unstructured.Unstructured) []HookDeletePolicy {
	var policies []HookDeletePolicy
	add := func(policy HookDeletePolicy) {
		if !slices.Contains(policies, policy) {
			policies = append(policies, policy)
		}
	}
	for _, value := range annotationCSV(obj, AnnotationHookDeletePolicy) {
		switch policy := HookDeletePolicy(value); policy {
		case HookSucceeded, HookFailed, BeforeHookCreation:
			add(policy)
		}
	}
	for _, value := range annotationCSV(obj, AnnotationHelmHookDeletePolicy) {
		if policy, ok := helmDeletePolicies[value]; ok {
			add(policy)
		}
	}
	if len(policies) == 0 {
		policies = []HookDeletePolicy{BeforeHookCreation}
	}
	return policies
}

// Wave returns the sync wave of obj: argocd.argoproj.io/sync-wave, else
// helm.sh/hook-weight, else 0.
func Wave(obj *unstructured.Unstructured) int {
	if wave, err := strconv.Atoi(strings.TrimSpace(annotation(obj, AnnotationSyncWave))); err == nil {
		return wave
	}
	if weight, err := strconv.Atoi(strings.TrimSpace(annotation(obj, AnnotationHelmHookWeight))); err == nil {
		return weight
	}
	return 0
}

// HookName returns the name a generateName hook gets in one operation, as
// Argo CD names it: generateName + lower("<revision[0:7]>-<phase>-<operationID>").
// The same operation always yields the same name, so a resumed operation finds
// the hooks it created.
func HookName(generateName, revision string, phase v1alpha1.SyncPhase, operationID string) string {
	if len(revision) > 7 {
		revision = revision[:7]
	}
	return generateName + strings.ToLower(fmt.Sprintf("%s-%s-%s", revision, phase, operationID))
}

// prepareHook returns the object a hook creates in one phase: named (for
// generateName hooks) and carrying the hook finalizer.
func prepareHook(obj *unstructured.Unstructured, revision string, phase v1alpha1.SyncPhase, operationID string, finalizer bool) *unstructured.Unstructured {
	hook := obj.DeepCopy()
	if hook.GetName() == "" {
		hook.SetName(HookName(hook.GetGenerateName(), revision, phase, operationID))
		hook.SetGenerateName("")
	}
	if finalizer && !slices.Contains(hook.GetFinalizers(), HookFinalizer) {
		hook.SetFinalizers(append(hook.GetFinalizers(), HookFinalizer))
	}
	return hook
}

func annotationCSV(obj *unstructured.Unstructured, name string) []string {
	value, ok := lookupAnnotation(obj, name)
	if !ok {
		return nil
	}
	var values []string
	for _, item := range strings.Split(value, csvSeparator) {
		if item = strings.TrimSpace(item); item != "" {
			values = append(values, item)
		}
	}
	return values
}

// lookupAnnotation reads one annotation without copying the map, as
// GetAnnotations does; planning reads several per object.
func lookupAnnotation(obj *unstructured.Unstructured, name string) (string, bool) {
	metadata, _ := obj.Object["metadata"].(map[string]any)
	annotations, _ := metadata["annotations"].(map[string]any)
	value, ok := annotations[name]
	if !ok {
		return "", false
	}
	text, _ := value.(string)
	return text, true
}

func annotation(obj *unstructured.Unstructured, name string) string {
	value, _ := lookupAnnotation(obj, name)
	return value
}

func hasHookFinalizer(obj *unstructured.Unstructured) bool {
	return obj != nil && slices.Contains(obj.GetFinalizers(), HookFinalizer)
}
