package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// kubevirtChecks cover KubeVirt's virtual machines and their instances.
var kubevirtChecks = kinds("kubevirt.io", map[string]check{
	"VirtualMachine":         virtualMachineHealth,
	"VirtualMachineInstance": virtualMachineInstanceHealth,
})

const kubevirtWaiting = "No status available"

// virtualMachineHealth: Paused is Suspended; Ready=True Healthy "Running";
// not ready is Progressing "Starting" once created, Suspended "Stopped"
// before; status.printableStatus, when set, is the message.
func virtualMachineHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.object(obj, "status") == nil {
		return newHealth(v1alpha1.HealthStatusProgressing, kubevirtWaiting)
	}
	health := newHealth(v1alpha1.HealthStatusProgressing, kubevirtWaiting)
	for _, c := range r.conditions(obj) {
		switch {
		case c.Type == "Paused" && c.Status == conditionTrue:
			return newHealth(v1alpha1.HealthStatusSuspended, "Paused")
		case c.Type == "Ready" && c.Status == conditionTrue:
			health = newHealth(v1alpha1.HealthStatusHealthy, "Running")
		case c.Type == "Ready" && r.boolean(obj, "status", "created"):
			health.Message = "Starting"
		case c.Type == "Ready":
			health = newHealth(v1alpha1.HealthStatusSuspended, "Stopped")
		}
	}
	if printable, ok := r.optionalString(obj, "status", "printableStatus"); ok {
		health.Message = printable
	}
	return health
}

// virtualMachineInstanceHealth reads the phase first (Failed Degraded,
// Succeeded Suspended, Unknown Unknown, scheduling Progressing), then the
// Ready and Paused conditions.
func virtualMachineInstanceHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.object(obj, "status") == nil {
		return newHealth(v1alpha1.HealthStatusProgressing, kubevirtWaiting)
	}
	health := newHealth(v1alpha1.HealthStatusProgressing, kubevirtWaiting)
	if phase, ok := r.optionalString(obj, "status", "phase"); ok {
		health.Message = phase
		switch phase {
		case "Failed":
			return newHealth(v1alpha1.HealthStatusDegraded, phase)
		case "Pending", "Scheduling", "Scheduled":
			return health
		case "Succeeded":
			return newHealth(v1alpha1.HealthStatusSuspended, phase)
		case "Unknown":
			return newHealth(v1alpha1.HealthStatusUnknown, phase)
		}
	}
	for _, c := range r.conditions(obj) {
		switch {
		case c.Type == "Ready" && c.Status == conditionTrue:
			health = newHealth(v1alpha1.HealthStatusHealthy, "Running")
		case c.Type == "Ready":
			health = newHealth(v1alpha1.HealthStatusDegraded, c.Message)
		case c.Type == "Paused" && c.Status == conditionTrue:
			return newHealth(v1alpha1.HealthStatusSuspended, c.Message)
		}
	}
	return health
}
