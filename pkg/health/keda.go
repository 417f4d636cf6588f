package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// kedaChecks cover KEDA's scaled objects and jobs.
var kedaChecks = kinds("keda.sh", map[string]check{
	"ScaledObject": kedaRule{degradedType: "Fallback", degradedStatus: conditionTrue, waiting: "Creating HorizontalPodAutoscaler Object"}.check,
	"ScaledJob":    kedaRule{degradedType: "Ready", degradedStatus: conditionUnknown, waiting: "Waiting for ScaledJob"}.check,
})

// kedaRule weighs every condition: Ready=False (or the extra degraded
// condition) is Degraded, Ready=True Healthy, or Suspended when also
// Paused=True. The message is that of the last condition that counted.
type kedaRule struct {
	degradedType, degradedStatus string
	waiting                      string
}

func (rule kedaRule) check(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	healthy, degraded, paused, message := false, false, false, ""
	for _, c := range r.conditions(obj) {
		switch {
		case c.Type == "Ready" && c.Status == conditionFalse,
			c.Type == rule.degradedType && c.Status == rule.degradedStatus:
			degraded, message = true, c.Message
		case c.Type == "Ready" && c.Status == conditionTrue:
			healthy, message = true, c.Message
		case c.Type == "Paused" && c.Status == conditionTrue:
			paused, message = true, c.Message
		}
	}
	switch {
	case degraded:
		return newHealth(v1alpha1.HealthStatusDegraded, message)
	case healthy && paused:
		return newHealth(v1alpha1.HealthStatusSuspended, message)
	case healthy:
		return newHealth(v1alpha1.HealthStatusHealthy, message)
	}
	return newHealth(v1alpha1.HealthStatusProgressing, rule.waiting)
}
