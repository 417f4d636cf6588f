package health

import (
	"strings"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// clusterAPIChecks cover Cluster API's clusters, machines and their sets.
var clusterAPIChecks = kinds("cluster.x-k8s.io", map[string]check{
	"Cluster":            capiClusterHealth,
	"Machine":            machineHealth,
	"MachineDeployment":  machineDeploymentHealth,
	"MachineHealthCheck": machineHealthCheckHealth,
	"MachinePool":        machinePoolHealth,
})

// capiClusterHealth: paused is Suspended; Provisioned Healthy, Failed
// Degraded, else Progressing; a Ready=False condition is Degraded whatever
// the phase.
func capiClusterHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.boolean(obj, "spec", "paused") {
		return newHealth(v1alpha1.HealthStatusSuspended, "Cluster is paused")
	}
	health := newHealth(v1alpha1.HealthStatusProgressing, "Waiting for clusters")
	switch r.str(obj, "status", "phase") {
	case "Provisioned":
		health = newHealth(v1alpha1.HealthStatusHealthy, "Cluster is running")
	case "Failed":
		health = newHealth(v1alpha1.HealthStatusDegraded, "")
	}
	for _, c := range r.conditions(obj) {
		if c.Type == "Ready" && c.Status == conditionFalse {
			return newHealth(v1alpha1.HealthStatusDegraded, c.Message)
		}
	}
	return health
}

// machineHealth: Running is Healthy, Failed Degraded, else Progressing;
// an unhealthy machine's message is its Ready=False condition's.
func machineHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	status := v1alpha1.HealthStatusProgressing
	switch r.str(obj, "status", "phase") {
	case "Running":
		return newHealth(v1alpha1.HealthStatusHealthy, "Machine is running")
	case "Failed":
		status = v1alpha1.HealthStatusDegraded
	}
	for _, c := range r.conditions(obj) {
		if c.Type == "Ready" && c.Status == conditionFalse {
			return newHealth(status, c.Message)
		}
	}
	return newHealth(status, "Condition is unknown")
}

func machineDeploymentHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.boolean(obj, "spec", "paused") {
		return newHealth(v1alpha1.HealthStatusSuspended, "MachineDeployment is paused")
	}
	switch r.str(obj, "status", "phase") {
	case "Running":
		replicas, hasReplicas := r.integer(obj, "status", "replicas")
		updated, hasUpdated := r.integer(obj, "status", "updatedReplicas")
		ready, hasReady := r.integer(obj, "status", "readyReplicas")
		if hasReplicas == hasUpdated && replicas == updated && hasReplicas == hasReady && replicas == ready {
			return newHealth(v1alpha1.HealthStatusHealthy, "Machines are running under this deployment")
		}
	case "ScalingUp":
		return newHealth(v1alpha1.HealthStatusProgressing, "Cluster is spawning machines")
	case "ScalingDown":
		return newHealth(v1alpha1.HealthStatusProgressing, "Cluster is stopping machines")
	case "Failed":
		return newHealth(v1alpha1.HealthStatusDegraded, "MachineDeployment is failed")
	}
	return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for machines")
}

// machineHealthCheckHealth is Healthy while every expected machine is
// healthy, Degraded otherwise.
func machineHealthCheckHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	healthy, ok := r.integer(obj, "status", "currentHealthy")
	if !ok {
		return newHealth(v1alpha1.HealthStatusProgressing, "")
	}
	if expected, hasExpected := r.integer(obj, "status", "expectedMachines"); hasExpected && expected == healthy {
		return newHealth(v1alpha1.HealthStatusHealthy, "")
	}
	return newHealth(v1alpha1.HealthStatusDegraded, "")
}

// machinePoolHealth: Running or Scaling is Healthy, Failed or Unknown
// Degraded; the message names the phase and every False condition.
func machinePoolHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	health := newHealth(v1alpha1.HealthStatusProgressing, "")
	if phase, ok := r.optionalString(obj, "status", "phase"); ok {
		health.Message = "MachinePool is " + phase
		switch phase {
		case "Running", "Scaling":
			health.Status = v1alpha1.HealthStatusHealthy
		case "Failed", "Unknown":
			health.Status = v1alpha1.HealthStatusDegraded
		}
	}
	var failing []string
	for _, c := range r.conditions(obj) {
		if c.Type != "" && c.Status == conditionFalse {
			entry := "Not " + c.Type
			if c.hasReason {
				entry += " (" + c.Reason + ")"
			}
			failing = append(failing, entry)
		}
	}
	if len(failing) > 0 {
		health.Message += ": " + strings.Join(failing, ", ")
	}
	return health
}
