package health

import (
	"fmt"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// serviceHealth is Argo CD's Service check: a LoadBalancer Service is
// Progressing until the load balancer reports an ingress point; every other
// Service is Healthy.
func serviceHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.str(obj, "spec", "type") == "LoadBalancer" && len(r.list(obj, "status", "loadBalancer", "ingress")) == 0 {
		return newHealth(v1alpha1.HealthStatusProgressing, "")
	}
	return newHealth(v1alpha1.HealthStatusHealthy, "")
}

// ingressHealth is Argo CD's Ingress check: Healthy once the controller
// reports an ingress point, Progressing before.
func ingressHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if len(r.list(obj, "status", "loadBalancer", "ingress")) > 0 {
		return newHealth(v1alpha1.HealthStatusHealthy, "")
	}
	return newHealth(v1alpha1.HealthStatusProgressing, "")
}

// apiServiceHealth is Argo CD's APIService check, on the Available condition.
func apiServiceHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	available := r.findCondition(r.list(obj, "status", "conditions"), "Available")
	if available == nil {
		return newHealth(v1alpha1.HealthStatusProgressing, "Waiting to be processed")
	}
	message := fmt.Sprintf("%s: %s", r.str(available, "reason"), r.str(available, "message"))
	if r.str(available, "status") == conditionTrue {
		return newHealth(v1alpha1.HealthStatusHealthy, message)
	}
	return newHealth(v1alpha1.HealthStatusProgressing, message)
}
