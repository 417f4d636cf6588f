package health

import (
	"fmt"
	"strings"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Pod restart policies and phases.
const (
	restartAlways    = "Always"
	restartOnFailure = "OnFailure"
	restartNever     = "Never"

	podPending   = "Pending"
	podRunning   = "Running"
	podSucceeded = "Succeeded"
	podFailed    = "Failed"
)

// podHealth is Argo CD's Pod check. Container errors such as CrashLoopBackOff
// or ImagePullBackOff make only long-running pods Degraded: a hook pod
// (restartPolicy Never or OnFailure) marked Degraded for a transient image
// pull error would fail its sync phase early, then run anyway after the sync.
// For the same reason a running Never/OnFailure pod stays Progressing until it
// succeeds, unless it is not a hook and carries the ignore-restart-policy
// annotation.
func podHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	message := r.str(obj, "status", "message")
	restartPolicy := r.str(obj, "spec", "restartPolicy")
	if restartPolicy != restartAlways && annotation(obj, AnnotationIgnoreRestartPolicy) == annotationTrue && !isHook(obj) {
		restartPolicy = restartAlways
	}
	containers := r.list(obj, "status", "containerStatuses")
	if restartPolicy == restartAlways {
		if messages, failing := waitingErrors(r, containers); failing {
			return newHealth(v1alpha1.HealthStatusDegraded, messages)
		}
	}
	switch r.str(obj, "status", "phase") {
	case podPending:
		return newHealth(v1alpha1.HealthStatusProgressing, message)
	case podSucceeded:
		return newHealth(v1alpha1.HealthStatusHealthy, message)
	case podFailed:
		if message != "" {
			return newHealth(v1alpha1.HealthStatusDegraded, message)
		}
		return newHealth(v1alpha1.HealthStatusDegraded, failureMessage(r, r.list(obj, "status", "initContainerStatuses"), containers))
	case podRunning:
		switch restartPolicy {
		case restartAlways:
			if ready := r.findCondition(r.list(obj, "status", "conditions"), "Ready"); ready != nil && r.str(ready, "status") == conditionTrue {
				return newHealth(v1alpha1.HealthStatusHealthy, message)
			}
			for _, item := range containers {
				if container, _ := item.(map[string]any); r.object(container, "lastState", "terminated") != nil {
					return newHealth(v1alpha1.HealthStatusDegraded, message)
				}
			}
			return newHealth(v1alpha1.HealthStatusProgressing, message)
		case restartOnFailure, restartNever:
			return newHealth(v1alpha1.HealthStatusProgressing, message)
		}
	}
	return newHealth(v1alpha1.HealthStatusUnknown, message)
}

// waitingErrors joins the messages of containers waiting for an error reason:
// one that starts with "Err" or ends with "Error" or "BackOff"
// (ErrImagePull, CreateContainerConfigError, CrashLoopBackOff, ...).
func waitingErrors(r *fieldReader, containers []any) (string, bool) {
	var messages []string
	failing := false
	for _, item := range containers {
		container, _ := item.(map[string]any)
		waiting := r.object(container, "state", "waiting")
		if waiting == nil {
			continue
		}
		reason := r.str(waiting, "reason")
		if strings.HasPrefix(reason, "Err") || strings.HasSuffix(reason, "Error") || strings.HasSuffix(reason, "BackOff") {
			failing = true
			messages = append(messages, r.str(waiting, "message"))
		}
	}
	return strings.Join(messages, ", "), failing
}

// failureMessage explains a failed pod without a status message from the
// first init or regular container that terminated with a message, OOMKilled,
// or a non-zero exit code.
func failureMessage(r *fieldReader, initContainers, containers []any) string {
	for _, list := range [2][]any{initContainers, containers} {
		for _, item := range list {
			container, _ := item.(map[string]any)
			terminated := r.object(container, "state", "terminated")
			if terminated == nil {
				continue
			}
			if message := r.str(terminated, "message"); message != "" {
				return message
			}
			if reason := r.str(terminated, "reason"); reason == "OOMKilled" {
				return reason
			}
			if exitCode, _ := r.integer(terminated, "exitCode"); exitCode != 0 {
				return fmt.Sprintf("container %q failed with exit code %d", r.str(container, "name"), exitCode)
			}
		}
	}
	return ""
}
