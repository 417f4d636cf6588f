package health

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// hasKstatusConditions reports whether obj carries one of the conditions
// kstatus understands: Ready, Reconciling or Stalled. Without them kstatus
// calls an object Current whatever its own conditions say (a Degraded or
// Suspended custom resource would be Healthy), so such objects keep Argo
// CD's default of no health. With them, Ready=False is never Healthy.
func hasKstatusConditions(obj map[string]any) bool {
	objectStatus, _ := obj["status"].(map[string]any)
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
