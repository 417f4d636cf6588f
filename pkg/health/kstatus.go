package health

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// followsConditionConventions reports whether obj shows that its controller
// follows the conventions kstatus relies on: status.observedGeneration, or
// one of the Ready, Reconciling and Stalled conditions. kstatus calls any
// object without known conditions Current, which would make a custom resource
// that reports nothing (or only its own condition types) Healthy while it may
// still be provisioning; such objects keep Argo CD's default of no health.
func followsConditionConventions(obj map[string]any) bool {
	objectStatus, _ := obj["status"].(map[string]any)
	if objectStatus == nil {
		return false
	}
	if _, ok := objectStatus["observedGeneration"]; ok {
		return true
	}
	conditions, _ := objectStatus["conditions"].([]any)
	for _, item := range conditions {
		condition, _ := item.(map[string]any)
		switch condition["type"] {
		case "Ready", string(status.ConditionReconciling), string(status.ConditionStalled):
			return true
		}
	}
	return false
}

// kstatusHealth computes the kstatus status of obj and maps it to a health:
// Current is Healthy, InProgress and Terminating are Progressing, Failed is
// Degraded, NotFound is Missing, and Unknown is no health.
func kstatusHealth(obj *unstructured.Unstructured) (*v1alpha1.HealthStatus, error) {
	result, err := status.Compute(obj)
	if err != nil {
		return nil, fmt.Errorf("compute kstatus: %w", err)
	}
	switch result.Status {
	case status.CurrentStatus:
		return newHealth(v1alpha1.HealthStatusHealthy, result.Message), nil
	case status.InProgressStatus, status.TerminatingStatus:
		return newHealth(v1alpha1.HealthStatusProgressing, result.Message), nil
	case status.FailedStatus:
		return newHealth(v1alpha1.HealthStatusDegraded, result.Message), nil
	case status.NotFoundStatus:
		return newHealth(v1alpha1.HealthStatusMissing, result.Message), nil
	}
	return nil, nil
}
