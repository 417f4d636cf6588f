package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// pvcHealth is Argo CD's PersistentVolumeClaim check, on the claim's phase.
func pvcHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	switch r.str(obj, "status", "phase") {
	case "Bound":
		return newHealth(v1alpha1.HealthStatusHealthy, "")
	case "Pending":
		return newHealth(v1alpha1.HealthStatusProgressing, "")
	case "Lost":
		return newHealth(v1alpha1.HealthStatusDegraded, "")
	}
	return newHealth(v1alpha1.HealthStatusUnknown, "")
}
