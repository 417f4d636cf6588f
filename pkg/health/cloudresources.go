package health

import (
	"slices"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Crossplane's messages.
const (
	crossplaneProvisioning = "Provisioning ..."
	crossplaneUpToDate     = "Resource is up-to-date."
)

// crossplaneStatusless are Crossplane kinds that report no status when all
// is well.
var crossplaneStatusless = []string{"Composition", "CompositionRevision", "DeploymentRuntimeConfig", "ClusterProviderConfig",
	"ProviderConfig", "ProviderConfigUsage", "ControllerConfig"}

// crossplaneHealthyTypes are the condition types that make a Crossplane
// object Healthy when true.
var crossplaneHealthyTypes = []string{"Ready", "Healthy", "Offered", "Established", "ValidPipeline", "RevisionHealthy"}

// crossplaneHealth covers every kind of the *.crossplane.io groups.
func crossplaneHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	return crossplaneLike(r, obj, crossplaneStatusless, crossplaneHealthyTypes, false)
}

// upboundHealth covers every kind of the *.upbound.io groups (Upbound's
// providers): like Crossplane, but only Ready counts, and a later failure
// condition still wins over it.
func upboundHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	return crossplaneLike(r, obj, []string{"ClusterProviderConfig", "ProviderConfig", "ProviderConfigUsage"}, []string{"Ready"}, true)
}

// crossplaneLike: an object without status (or a status-less kind with an
// empty status) is Healthy; a provider config without conditions that has
// users is in use; LastAsyncOperation or Synced False is Degraded; one of
// healthyTypes True is Healthy; anything else is still provisioning.
func crossplaneLike(r *fieldReader, obj map[string]any, statusless, healthyTypes []string, failuresWin bool) *v1alpha1.HealthStatus {
	kind, _ := obj["kind"].(string)
	status, hasStatus := r.lookup(obj, "status")
	statusMap, _ := status.(map[string]any)
	if !hasStatus || len(statusMap) == 0 && slices.Contains(statusless, kind) {
		return newHealth(v1alpha1.HealthStatusHealthy, crossplaneUpToDate)
	}
	if _, hasConditions := r.lookup(obj, "status", "conditions"); !hasConditions || len(statusMap) == 0 {
		if _, hasUsers := r.lookup(obj, "status", "users"); hasUsers && (kind == "ProviderConfig" || kind == "ClusterProviderConfig") {
			return newHealth(v1alpha1.HealthStatusHealthy, "Resource is in use.")
		}
		return newHealth(v1alpha1.HealthStatusProgressing, crossplaneProvisioning)
	}
	health := newHealth(v1alpha1.HealthStatusProgressing, crossplaneProvisioning)
	for _, c := range r.conditions(obj) {
		switch {
		case (c.Type == "LastAsyncOperation" || c.Type == "Synced") && c.Status == conditionFalse:
			return newHealth(v1alpha1.HealthStatusDegraded, c.Message)
		case slices.Contains(healthyTypes, c.Type) && c.Status == conditionTrue:
			health = newHealth(v1alpha1.HealthStatusHealthy, crossplaneUpToDate)
			if !failuresWin {
				return health
			}
		}
	}
	return health
}

// configConnectorHealth covers every kind of the *.cnrm.cloud.google.com
// groups (Google Config Connector): ConfigConnector and its context report
// status.healthy; the others' condition reasons say UpToDate (Healthy),
// UpdateFailed or DependencyNotFound (Degraded) or DependencyNotReady
// (Suspended). A status older than the spec is still being updated.
func configConnectorHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	updating := newHealth(v1alpha1.HealthStatusProgressing, "Update in progress")
	if r.object(obj, "status") == nil {
		return updating
	}
	generation, _ := r.integer(obj, "metadata", "generation")
	observed, hasObserved := r.integer(obj, "status", "observedGeneration")
	current := !hasObserved || observed == generation
	kind, _ := obj["kind"].(string)
	if healthy, ok := r.lookup(obj, "status", "healthy"); ok && current && (kind == "ConfigConnector" || kind == "ConfigConnectorContext") {
		if healthy == true {
			return newHealth(v1alpha1.HealthStatusHealthy, kind+" is healthy")
		}
		return newHealth(v1alpha1.HealthStatusDegraded, kind+" is not healthy")
	}
	if !current {
		return updating
	}
	for _, c := range r.conditions(obj) {
		switch {
		case c.Reason == "UpToDate" && c.Status == conditionTrue:
			return newHealth(v1alpha1.HealthStatusHealthy, c.Message)
		case c.Reason == "UpdateFailed", c.Reason == "DependencyNotFound":
			return newHealth(v1alpha1.HealthStatusDegraded, c.Message)
		case c.Reason == "DependencyNotReady":
			return newHealth(v1alpha1.HealthStatusSuspended, c.Message)
		}
	}
	return updating
}

// ackHealth covers every kind of the *.services.k8s.aws groups (AWS
// Controllers for Kubernetes): ACK.Terminal True is Degraded, Ready False
// Progressing, Ready True Healthy.
var ackHealth = conditionRule{waiting: "Waiting for resource to be ready", passes: [][]conditionCase{{
	{Type: "ACK.Terminal", Status: conditionTrue, Health: v1alpha1.HealthStatusDegraded},
	{Type: "Ready", Status: conditionFalse, Health: v1alpha1.HealthStatusProgressing},
	{Type: "Ready", Status: conditionTrue, Health: v1alpha1.HealthStatusHealthy, EmptyMessage: true},
}}}.check
