package health

import "testing"

func TestCloudNativePGHealth(t *testing.T) {
	c := &Checker{}
	runKind(t, c, "postgresql.cnpg.io/v1", "Cluster", []objectCase{
		{name: "reconciliation disabled", object: `metadata: {annotations: {cnpg.io/reconciliation: disabled}}`, status: suspended, message: "Cluster reconciliation is suspended"},
		{name: "no conditions yet", object: `status: {phase: Setting up primary, phaseReason: creating}`, status: progressing, message: "creating"},
		{name: "healthy", object: `status: {phase: Cluster in healthy state, phaseReason: all good, conditions: [{type: Ready, status: "True"}]}`, status: healthy, message: "all good"},
		{name: "failing over", object: `status: {phase: Failing over, phaseReason: primary lost, conditions: []}`, status: degraded, message: "primary lost"},
		{name: "needs manual intervention", object: `status: {phase: Cluster is unrecoverable and needs manual intervention, conditions: []}`, status: suspended},
		{name: "hibernating", object: `status: {phase: Cluster in healthy state, conditions: [{type: cnpg.io/hibernation, status: "True", message: hibernated}]}`,
			status: suspended, message: "hibernated"},
		{name: "failing to hibernate", object: `status: {conditions: [{type: cnpg.io/hibernation, status: "False", message: cannot hibernate}]}`,
			status: degraded, message: "cannot hibernate"},
		{name: "an undocumented phase", object: `status: {phase: Doing something new, phaseReason: why, conditions: []}`, status: unknown, message: "why"},
	})
	runKind(t, c, "postgresql.cnpg.io/v1", "Backup", []objectCase{
		{name: "no phase waits", object: `{}`, status: progressing, message: "Waiting for backup to be processed"},
		{name: "completed", object: `status: {phase: completed}`, status: healthy, message: "Backup completed"},
		{name: "failed with an error", object: `status: {phase: failed, error: no space}`, status: degraded, message: "no space"},
		{name: "failing archiving without an error", object: `status: {phase: walArchivingFailing}`, status: degraded, message: "walArchivingFailing"},
		{name: "running", object: `status: {phase: running}`, status: progressing, message: "running"},
	})
	runKind(t, c, "postgresql.cnpg.io/v1", "Database", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "Waiting for CloudNativePG to reconcile Database"},
		{name: "applied", object: `{metadata: {generation: 2}, status: {applied: true, observedGeneration: 2}}`, status: healthy, message: ""},
		{name: "failed for the current generation", object: `{metadata: {generation: 2}, status: {applied: false, observedGeneration: 2, message: role missing}}`,
			status: degraded, message: "role missing"},
		{name: "failed without a message", object: `{metadata: {generation: 2}, status: {applied: false, observedGeneration: 2}}`,
			status: degraded, message: "CloudNativePG failed to apply the Database"},
		{name: "a newer generation", object: `{metadata: {generation: 3}, status: {applied: true, observedGeneration: 2, message: applying}}`,
			status: progressing, message: "applying"},
	})
}

func TestVeleroHealth(t *testing.T) {
	c := &Checker{}
	for _, kind := range []string{"Backup", "Restore"} {
		runKind(t, c, "velero.io/v1", kind, []objectCase{
			{name: "no phase waits", object: `{}`, status: progressing, message: "Waiting for " + lowerFirst(kind) + " to be processed"},
			{name: "completed", object: `status: {phase: Completed}`, status: healthy, message: kind + " completed"},
			{name: "partially failed with a reason", object: `status: {phase: PartiallyFailed, failureReason: volume snapshot failed}`, status: degraded, message: "volume snapshot failed"},
			{name: "failed validation", object: `status: {phase: FailedValidation}`, status: degraded, message: "FailedValidation"},
			{name: "in progress", object: `status: {phase: InProgress}`, status: progressing, message: "InProgress"},
		})
	}
	runKind(t, c, "velero.io/v1", "Schedule", []objectCase{
		{name: "no phase waits", object: `{}`, status: progressing, message: "Waiting for schedule to be processed"},
		{name: "enabled", object: `status: {phase: Enabled}`, status: healthy, message: "Schedule is enabled"},
		{name: "invalid", object: `status: {phase: FailedValidation}`, status: degraded, message: "Schedule failed validation"},
		{name: "new", object: `status: {phase: New}`, status: progressing, message: "New"},
	})
}

func TestSubscriptionHealth(t *testing.T) {
	runKind(t, &Checker{}, "operators.coreos.com/v1alpha1", "Subscription", []objectCase{
		{name: "no conditions", object: `{}`, status: progressing, message: subscriptionPending},
		{name: "healthy", object: `status: {conditions: [{type: CatalogSourcesUnhealthy, status: "False"}]}`, status: healthy, message: "1: CatalogSourcesUnhealthy | False\n"},
		{name: "pending", object: `status: {conditions: [{type: InstallPlanPending, status: "True"}]}`, status: progressing, message: subscriptionPending},
		{name: "failed", object: `status: {conditions: [{type: CatalogSourcesUnhealthy, status: "False"}, {type: ResolutionFailed, status: "True"}]}`,
			status: degraded, message: "1: CatalogSourcesUnhealthy | False\n2: ResolutionFailed | True\n"},
		{name: "plan missing", object: `status: {conditions: [{type: InstallPlanMissing, status: "True", reason: InstallPlanNotFound}]}`,
			status: degraded, message: "1: InstallPlanMissing | True\n"},
		{name: "referenced plan not found is fine", object: `status: {conditions: [{type: InstallPlanMissing, status: "True", reason: ReferencedInstallPlanNotFound}]}`,
			status: healthy, message: "1: InstallPlanMissing | True\n"},
	})
}
