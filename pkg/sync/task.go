package sync

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

const kindNamespace = "Namespace"

// Task is one thing a sync does to one object in one phase: apply a target
// (a resource or a hook), or prune a live object that is no longer a target.
type Task struct {
	// Phase and Wave place the task in the sync.
	Phase v1alpha1.SyncPhase
	Wave  int
	// Target is the object to apply; nil for a prune.
	Target *unstructured.Unstructured
	// Live is the live object when the plan was made; for a prune, the object to delete.
	Live *unstructured.Unstructured
	// Hook is true for hooks; DeletePolicies says when they are deleted.
	Hook           bool
	DeletePolicies []HookDeletePolicy
	// Prune is true for a prune task.
	Prune bool
	// Options are the resource's sync options.
	Options ResourceOptions
	// SkipDryRun is set for objects whose kind the cluster does not serve yet
	// (its CRD is part of the sync, or SkipDryRunOnMissingResource is set).
	SkipDryRun bool
	// CreatesNamespace marks the task CreateNamespace=true adds.
	CreatesNamespace bool
	// Invalid explains why the task cannot run; a plan with invalid tasks fails.
	Invalid string
	// MigrateManagers are the client-side apply managers whose fields are
	// handed to Capstan's manager before a server-side apply.
	MigrateManagers []string

	key cluster.ResourceKey
}

// Object is the target, or the live object of a prune.
func (t *Task) Object() *unstructured.Unstructured {
	if t.Target != nil {
		return t.Target
	}
	return t.Live
}

// Key identifies the task's object.
func (t *Task) Key() cluster.ResourceKey { return t.key }

// HookType is the hook type of a hook task (its phase), empty for resources.
func (t *Task) HookType() v1alpha1.HookType {
	if !t.Hook {
		return ""
	}
	return v1alpha1.HookType(t.Phase)
}

func (t *Task) hasPolicy(policy HookDeletePolicy) bool {
	return slices.Contains(t.DeletePolicies, policy)
}

// String formats the task for logs: "PreSync/-1 hook batch/Job/ns/name".
func (t *Task) String() string {
	what := "resource"
	switch {
	case t.Prune:
		what = "prune"
	case t.Hook:
		what = "hook"
	}
	return fmt.Sprintf("%s/%d %s %s", t.Phase, t.Wave, what, t.key)
}

// argoName formats the task's object as Argo CD's messages do: group/Kind/name.
func (t *Task) argoName() string {
	return fmt.Sprintf("%s/%s/%s", t.key.Group, t.key.Kind, t.key.Name)
}

// reasonName formats the task's object for failure reasons: "Kind.group namespace/name".
func (t *Task) reasonName() string {
	kind := t.key.Kind
	if t.key.Group != "" {
		kind += "." + t.key.Group
	}
	if t.key.Namespace == "" {
		return kind + " " + t.key.Name
	}
	return kind + " " + t.key.Namespace + "/" + t.key.Name
}

// kubectlName formats the object as kubectl's messages do: "deployment.apps/name".
func kubectlName(obj *unstructured.Unstructured) string {
	gvk := obj.GroupVersionKind()
	kind := strings.ToLower(gvk.Kind)
	if gvk.Group != "" {
		kind += "." + gvk.Group
	}
	return kind + "/" + obj.GetName()
}

func isCRD(obj *unstructured.Unstructured) bool { return cluster.IsCRD(obj) }

// images lists the container images of a pod, workload or CronJob, as
// operationState results carry them.
func images(obj *unstructured.Unstructured) []string {
	if obj == nil {
		return nil
	}
	var podSpecs [][]string
	switch obj.GetKind() {
	case "Pod":
		podSpecs = [][]string{{"spec"}}
	case "CronJob":
		podSpecs = [][]string{{"spec", "jobTemplate", "spec", "template", "spec"}}
	default:
		podSpecs = [][]string{{"spec", "template", "spec"}}
	}
	var out []string
	for _, path := range podSpecs {
		for _, field := range []string{"initContainers", "containers", "ephemeralContainers"} {
			containers, _, _ := unstructured.NestedSlice(obj.Object, append(slices.Clone(path), field)...)
			for _, container := range containers {
				fields, _ := container.(map[string]any)
				image, _ := fields["image"].(string)
				if image != "" && !slices.Contains(out, image) {
					out = append(out, image)
				}
			}
		}
	}
	return out
}
