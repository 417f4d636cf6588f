package actions

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// RestartedAtAnnotation is the pod template annotation kubectl rollout
// restart sets; Argo CD's restart action sets the same.
const RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

// builtinActions are Argo CD's built-in actions, by kind and name.
var builtinActions = map[schema.GroupKind]map[string]builtinAction{
	{Group: "apps", Kind: "Deployment"}: {
		"restart": restartPodTemplate,
		"pause":   setField(true, "spec", "paused"),
		"resume":  setField(false, "spec", "paused"),
	},
	{Group: "apps", Kind: "StatefulSet"}: {"restart": restartPodTemplate},
	{Group: "apps", Kind: "DaemonSet"}:   {"restart": restartPodTemplate},
	{Group: "argoproj.io", Kind: "Rollout"}: {
		"restart":      restartRollout,
		"pause":        setField(true, "spec", "paused"),
		"resume":       resumeRollout,
		"promote":      resumeRollout,
		"promote-full": setField(true, "status", "promoteFull"),
		"abort":        setField(true, "status", "abort"),
		"retry":        setField(false, "status", "abort"),
	},
	{Group: "batch", Kind: "CronJob"}: {
		"create-job": createJobFromCronJob,
		"suspend":    setField(true, "spec", "suspend"),
		"resume":     setField(false, "spec", "suspend"),
	},
}

// restartPodTemplate stamps the pod template, so that every pod is replaced.
func restartPodTemplate(obj *unstructured.Unstructured, now time.Time) (Result, error) {
	err := unstructured.SetNestedField(obj.Object, now.UTC().Format(time.RFC3339), "spec", "template", "metadata", "annotations", RestartedAtAnnotation)
	if err != nil {
		return Result{}, fmt.Errorf("restart %s: %w", obj.GetName(), err)
	}
	return Result{Object: obj}, nil
}

// restartRollout asks Argo Rollouts to restart the rollout's pods.
func restartRollout(obj *unstructured.Unstructured, now time.Time) (Result, error) {
	if err := unstructured.SetNestedField(obj.Object, now.UTC().Format(time.RFC3339), "spec", "restartAt"); err != nil {
		return Result{}, fmt.Errorf("restart %s: %w", obj.GetName(), err)
	}
	return Result{Object: obj}, nil
}

// resumeRollout unpauses a rollout: spec.paused off and its pause
// conditions cleared, as the Argo Rollouts plugin's promote does.
func resumeRollout(obj *unstructured.Unstructured, _ time.Time) (Result, error) {
	if err := unstructured.SetNestedField(obj.Object, false, "spec", "paused"); err != nil {
		return Result{}, err
	}
	unstructured.RemoveNestedField(obj.Object, "status", "pauseConditions")
	return Result{Object: obj}, nil
}

// setField returns an action that sets one boolean field.
func setField(value bool, path ...string) builtinAction {
	return func(obj *unstructured.Unstructured, _ time.Time) (Result, error) {
		if err := unstructured.SetNestedField(obj.Object, value, path...); err != nil {
			return Result{}, fmt.Errorf("set %v of %s: %w", path, obj.GetName(), err)
		}
		return Result{Object: obj}, nil
	}
}

// createJobFromCronJob creates a Job from the CronJob's job template, as
// kubectl create job --from=cronjob/NAME does, owned by the CronJob.
func createJobFromCronJob(cronJob *unstructured.Unstructured, _ time.Time) (Result, error) {
	template, found, err := unstructured.NestedMap(cronJob.Object, "spec", "jobTemplate")
	if err != nil || !found {
		return Result{}, fmt.Errorf("CronJob %s has no spec.jobTemplate", cronJob.GetName())
	}
	suffix := make([]byte, 3)
	if _, err := rand.Read(suffix); err != nil {
		return Result{}, err
	}
	name := cronJob.GetName()
	if len(name) > 52 {
		name = name[:52]
	}
	job := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "batch/v1", "kind": "Job"}}
	if spec, ok := template["spec"].(map[string]any); ok {
		job.Object["spec"] = spec
	}
	templateMeta, _ := template["metadata"].(map[string]any)
	labels, _, _ := unstructured.NestedStringMap(templateMeta, "labels")
	annotations, _, _ := unstructured.NestedStringMap(templateMeta, "annotations")
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations["cronjob.kubernetes.io/instantiate"] = "manual"
	job.SetName(name + "-" + hex.EncodeToString(suffix))
	job.SetNamespace(cronJob.GetNamespace())
	job.SetLabels(labels)
	job.SetAnnotations(annotations)
	controller := true
	job.SetOwnerReferences([]metav1.OwnerReference{{
		APIVersion: cronJob.GetAPIVersion(), Kind: cronJob.GetKind(), Name: cronJob.GetName(), UID: cronJob.GetUID(),
		Controller: &controller, BlockOwnerDeletion: &controller,
	}})
	return Result{Created: []*unstructured.Unstructured{job}}, nil
}
