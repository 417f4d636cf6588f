package health

import (
	"strconv"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// workflowHealth is Argo CD's Argo Workflow check, on the workflow's phase.
func workflowHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	message := r.str(obj, "status", "message")
	switch r.str(obj, "status", "phase") {
	case "", "Pending", "Running":
		return newHealth(v1alpha1.HealthStatusProgressing, message)
	case "Succeeded":
		return newHealth(v1alpha1.HealthStatusHealthy, message)
	case "Failed", "Error":
		return newHealth(v1alpha1.HealthStatusDegraded, message)
	}
	return newHealth(v1alpha1.HealthStatusUnknown, message)
}

// Messages of the Argo Rollout check.
const (
	rolloutNotObserved = "Waiting for rollout spec update to be observed"
	rolloutPaused      = "Rollout is paused"
)

// rolloutHealth is Argo CD's built-in Argo Rollout script: generation not yet
// observed is Progressing; an invalid spec, an abort or an exceeded progress
// deadline is Degraded; a paused rollout is Suspended; then replica counts,
// and per strategy the blue-green service cutover or the canary steps.
func rolloutHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.object(obj, "status") == nil {
		return newHealth(v1alpha1.HealthStatusProgressing, rolloutNotObserved)
	}
	observed, hasObserved := rolloutObservedGeneration(r, obj)
	if !hasObserved {
		return newHealth(v1alpha1.HealthStatusProgressing, rolloutNotObserved)
	}
	if generation, _ := r.integer(obj, "metadata", "generation"); observed >= 0 && observed != generation {
		return newHealth(v1alpha1.HealthStatusProgressing, rolloutNotObserved)
	}
	for _, item := range r.list(obj, "status", "conditions") {
		condition, _ := item.(map[string]any)
		conditionType, reason := r.str(condition, "type"), r.str(condition, "reason")
		if conditionType == "InvalidSpec" ||
			conditionType == "Progressing" && (reason == "RolloutAborted" || reason == "ProgressDeadlineExceeded") {
			return newHealth(v1alpha1.HealthStatusDegraded, r.str(condition, "message"))
		}
	}
	if r.str(obj, "status", "phase") == "Paused" || len(r.list(obj, "status", "pauseConditions")) > 0 || r.boolean(obj, "spec", "paused") {
		return newHealth(v1alpha1.HealthStatusSuspended, rolloutPaused)
	}
	currentPodHash := r.str(obj, "status", "currentPodHash")
	if currentPodHash == "" {
		return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for rollout to finish: status has not been reconciled.")
	}
	desired, hasDesired := r.integer(obj, "spec", "replicas")
	if !hasDesired {
		desired = 1
	}
	replicas, _ := r.integer(obj, "status", "replicas")
	updated, _ := r.integer(obj, "status", "updatedReplicas")
	available, _ := r.integer(obj, "status", "availableReplicas")
	if updated < desired {
		return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for roll out to finish: More replicas need to be updated")
	}
	if available < updated {
		return newHealth(v1alpha1.HealthStatusProgressing,
			"Waiting for roll out to finish: updated replicas are still becoming available")
	}
	stableRS := r.str(obj, "status", "stableRS")
	if stableRS == "" {
		stableRS = r.str(obj, "status", "canary", "stableRS")
	}
	switch {
	case r.object(obj, "spec", "strategy", "blueGreen") != nil:
		if r.str(obj, "status", "blueGreen", "activeSelector") != currentPodHash {
			return newHealth(v1alpha1.HealthStatusProgressing, "active service cutover pending")
		}
		if stableRS != "" && stableRS != currentPodHash {
			return newHealth(v1alpha1.HealthStatusProgressing, "waiting for analysis to complete")
		}
	case r.object(obj, "spec", "strategy", "canary") != nil:
		if replicas > updated {
			return newHealth(v1alpha1.HealthStatusProgressing,
				"Waiting for roll out to finish: old replicas are pending termination")
		}
		if stableRS != currentPodHash {
			return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for rollout to finish steps")
		}
	}
	return newHealth(v1alpha1.HealthStatusHealthy, "")
}

// rolloutObservedGeneration reads status.observedGeneration, which is a number
// in current Argo Rollouts and a pod-template hash string before v1.0. It
// returns -1 for a hash, which cannot be compared with the generation, and
// false when the field is absent.
func rolloutObservedGeneration(r *fieldReader, obj map[string]any) (int64, bool) {
	value, ok := r.lookup(obj, "status", "observedGeneration")
	if !ok {
		return 0, false
	}
	if text, isText := value.(string); isText {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, true
		}
		return -1, true
	}
	return r.integer(obj, "status", "observedGeneration")
}
