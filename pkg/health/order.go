package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// healthOrder ranks health codes from best to worst, as Argo CD's
// health.IsWorse does. Codes it does not know rank as Healthy.
func healthOrder(code v1alpha1.HealthStatusCode) int {
	switch code {
	case v1alpha1.HealthStatusSuspended:
		return 1
	case v1alpha1.HealthStatusProgressing:
		return 2
	case v1alpha1.HealthStatusMissing:
		return 3
	case v1alpha1.HealthStatusDegraded:
		return 4
	case v1alpha1.HealthStatusUnknown:
		return 5
	}
	return 0
}

// IsWorse reports whether candidate is a worse health than current in the
// order Healthy < Suspended < Progressing < Missing < Degraded < Unknown.
func IsWorse(current, candidate v1alpha1.HealthStatusCode) bool {
	return healthOrder(candidate) > healthOrder(current)
}

// isHealthCode reports whether code is one of the six health codes.
func isHealthCode(code v1alpha1.HealthStatusCode) bool {
	return code == v1alpha1.HealthStatusHealthy || healthOrder(code) > 0
}
