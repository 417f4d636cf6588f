package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// cloudNativePGChecks cover CloudNativePG's clusters, backups and databases.
var cloudNativePGChecks = kinds("postgresql.cnpg.io", map[string]check{
	"Cluster": cnpgClusterHealth,
	"Backup": phaseRule{waiting: "Waiting for backup to be processed", other: v1alpha1.HealthStatusProgressing, phases: map[string]phaseHealth{
		"completed":                 {status: v1alpha1.HealthStatusHealthy, message: "Backup completed"},
		"failed":                    {status: v1alpha1.HealthStatusDegraded, messageField: []string{"status", "error"}},
		"walArchivingFailing":       {status: v1alpha1.HealthStatusDegraded, messageField: []string{"status", "error"}},
		"invalid backup definition": {status: v1alpha1.HealthStatusDegraded, messageField: []string{"status", "error"}},
	}}.check,
	"Database": cnpgDatabaseHealth,
})

// cnpgClusterPhases are the health of CloudNativePG's cluster phases.
var cnpgClusterPhases = map[string]v1alpha1.HealthStatusCode{
	"Cluster in healthy state":                                 v1alpha1.HealthStatusHealthy,
	"Setting up primary":                                       v1alpha1.HealthStatusProgressing,
	"Creating a new replica":                                   v1alpha1.HealthStatusProgressing,
	"Upgrading cluster":                                        v1alpha1.HealthStatusProgressing,
	"Waiting for the instances to become active":               v1alpha1.HealthStatusProgressing,
	"Promoting to primary cluster":                             v1alpha1.HealthStatusProgressing,
	"Switchover in progress":                                   v1alpha1.HealthStatusDegraded,
	"Failing over":                                             v1alpha1.HealthStatusDegraded,
	"Upgrading Postgres major version":                         v1alpha1.HealthStatusDegraded,
	"Cluster upgrade delayed":                                  v1alpha1.HealthStatusDegraded,
	"Waiting for user action":                                  v1alpha1.HealthStatusDegraded,
	"Primary instance is being restarted in-place":             v1alpha1.HealthStatusDegraded,
	"Primary instance is being restarted without a switchover": v1alpha1.HealthStatusDegraded,
	"Cluster cannot execute instance online upgrade due to missing architecture binary": v1alpha1.HealthStatusDegraded,
	"Online upgrade in progress":                v1alpha1.HealthStatusDegraded,
	"Applying configuration":                    v1alpha1.HealthStatusDegraded,
	"Unable to create required cluster objects": v1alpha1.HealthStatusSuspended,
	"Cluster cannot proceed to reconciliation due to an unknown plugin being required": v1alpha1.HealthStatusSuspended,
	"Cluster has incomplete or invalid image catalog":                                  v1alpha1.HealthStatusSuspended,
	"Cluster is unrecoverable and needs manual intervention":                           v1alpha1.HealthStatusSuspended,
}

// cnpgClusterHealth: reconciliation disabled by annotation is Suspended;
// hibernation decides when declared; otherwise the phase, Unknown when the
// phase is not one CloudNativePG documents.
func cnpgClusterHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if annotation(obj, "cnpg.io/reconciliation") == "disabled" {
		return newHealth(v1alpha1.HealthStatusSuspended, "Cluster reconciliation is suspended")
	}
	reason := r.str(obj, "status", "phaseReason")
	if _, ok := r.lookup(obj, "status", "conditions"); !ok {
		return newHealth(v1alpha1.HealthStatusProgressing, reason)
	}
	conditions := r.conditions(obj)
	if hibernation := findType(conditions, "cnpg.io/hibernation"); hibernation != nil {
		if hibernation.Status == conditionTrue {
			return newHealth(v1alpha1.HealthStatusSuspended, hibernation.Message)
		}
		return newHealth(v1alpha1.HealthStatusDegraded, hibernation.Message)
	}
	if status, ok := cnpgClusterPhases[r.str(obj, "status", "phase")]; ok {
		return newHealth(status, reason)
	}
	return newHealth(v1alpha1.HealthStatusUnknown, reason)
}

// cnpgDatabaseHealth reads status.applied for the observed generation:
// applied is Healthy, not applied Degraded; a generation not reconciled yet
// is Progressing.
func cnpgDatabaseHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.object(obj, "status") == nil {
		return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for CloudNativePG to reconcile Database")
	}
	generation, hasGeneration := r.integer(obj, "metadata", "generation")
	observed, hasObserved := r.integer(obj, "status", "observedGeneration")
	current := !hasGeneration || hasObserved && observed == generation
	message, hasMessage := r.optionalString(obj, "status", "message")
	applied, hasApplied := r.lookup(obj, "status", "applied")
	switch {
	case hasApplied && applied == true && current:
		return newHealth(v1alpha1.HealthStatusHealthy, message)
	case hasApplied && applied == false && current:
		if !hasMessage {
			message = "CloudNativePG failed to apply the Database"
		}
		return newHealth(v1alpha1.HealthStatusDegraded, message)
	}
	if message == "" {
		message = "Waiting for CloudNativePG to reconcile Database"
	}
	return newHealth(v1alpha1.HealthStatusProgressing, message)
}
