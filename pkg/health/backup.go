package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// veleroFailures are the phases of a failed Velero backup or restore.
var veleroFailures = []string{"FailedValidation", "Failed", "PartiallyFailed", "WaitingForPluginOperationsPartiallyFailed", "FinalizingPartiallyFailed"}

// veleroOperation maps a backup or restore's phase: Completed is Healthy,
// the failures Degraded with the failure reason, anything else Progressing.
func veleroOperation(noun string) check {
	phases := map[string]phaseHealth{"Completed": {status: v1alpha1.HealthStatusHealthy, message: noun + " completed"}}
	for _, phase := range veleroFailures {
		phases[phase] = phaseHealth{status: v1alpha1.HealthStatusDegraded, messageField: []string{"status", "failureReason"}}
	}
	return phaseRule{waiting: "Waiting for " + lowerFirst(noun) + " to be processed", other: v1alpha1.HealthStatusProgressing, phases: phases}.check
}

// veleroChecks cover Velero's backups, restores and schedules.
var veleroChecks = kinds("velero.io", map[string]check{
	"Backup":  veleroOperation("Backup"),
	"Restore": veleroOperation("Restore"),
	"Schedule": phaseRule{waiting: "Waiting for schedule to be processed", other: v1alpha1.HealthStatusProgressing, phases: map[string]phaseHealth{
		"Enabled":          {status: v1alpha1.HealthStatusHealthy, message: "Schedule is enabled"},
		"FailedValidation": {status: v1alpha1.HealthStatusDegraded, message: "Schedule failed validation"},
	}}.check,
})
