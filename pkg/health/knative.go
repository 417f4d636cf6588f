package health

import (
	"strings"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// knativeChecks cover Knative Serving's services.
var knativeChecks = kinds("serving.knative.dev", map[string]check{
	"Service": knativeServiceHealth,
})

// knativeServiceHealth is Healthy when ConfigurationsReady, RoutesReady and
// Ready are the only conditions and all True, Degraded when one is False,
// else Progressing; the message lists every False or Unknown condition.
func knativeServiceHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if _, ok := r.lookup(obj, "status", "conditions"); !ok {
		return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for status update.")
	}
	ready, failed, unknown := 0, 0, 0
	var message strings.Builder
	for _, c := range r.conditions(obj) {
		switch {
		case c.Status == conditionTrue && (c.Type == "ConfigurationsReady" || c.Type == "RoutesReady" || c.Type == "Ready"):
			ready++
		case c.Status == conditionFalse || c.Status == conditionUnknown:
			message.WriteString(c.Type + " is " + c.Status)
			if c.Reason != "" {
				message.WriteString(", since " + c.Reason + ".")
			}
			if c.Message != "" {
				message.WriteString(" " + c.Message)
			}
			message.WriteString("\n")
			if c.Status == conditionFalse {
				failed++
			} else {
				unknown++
			}
		}
	}
	switch {
	case ready == 3 && failed == 0 && unknown == 0:
		return newHealth(v1alpha1.HealthStatusHealthy, "Knative Service is healthy.")
	case failed > 0:
		return newHealth(v1alpha1.HealthStatusDegraded, message.String())
	}
	return newHealth(v1alpha1.HealthStatusProgressing, message.String())
}
