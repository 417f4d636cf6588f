package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// externalSecretsChecks cover the External Secrets Operator.
var externalSecretsChecks = kinds("external-secrets.io", map[string]check{
	"ExternalSecret":        externalSecretHealth,
	"ClusterExternalSecret": clusterExternalSecretHealth,
	"SecretStore":           readyRule("Waiting for SecretStore").check,
	"ClusterSecretStore":    readyRule("Waiting for ClusterSecretStore").check,
	"PushSecret":            readyRule("Waiting for PushSecret").check,
})

// externalSecretHealth follows the first Ready condition; with
// refreshPolicy OnChange only one at least as recent as the last refresh.
// Ready=Unknown gives no health, as Argo CD's script returns none.
func externalSecretHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	onChange := r.str(obj, "spec", "refreshPolicy") == "OnChange"
	refreshTime := r.str(obj, "status", "refreshTime")
	for _, c := range r.conditions(obj) {
		if c.Type != "Ready" {
			continue
		}
		if onChange && c.LastTransitionTime < refreshTime {
			continue
		}
		switch c.Status {
		case conditionFalse:
			return newHealth(v1alpha1.HealthStatusDegraded, c.Message)
		case conditionTrue:
			return newHealth(v1alpha1.HealthStatusHealthy, c.Message)
		}
		return nil
	}
	return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for ExternalSecret")
}

// clusterExternalSecretHealth reads the last condition, the newest.
func clusterExternalSecretHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	conditions := r.conditions(obj)
	if len(conditions) > 0 {
		last := conditions[len(conditions)-1]
		switch {
		case last.Type == "Ready" && last.Status == conditionTrue:
			return newHealth(v1alpha1.HealthStatusHealthy, last.Message)
		case (last.Type == "PartiallyReady" || last.Type == "NotReady") && last.Status == conditionTrue:
			return newHealth(v1alpha1.HealthStatusDegraded, last.Message)
		}
	}
	return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for ClusterExternalSecret")
}
