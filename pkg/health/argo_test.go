package health

import (
	"testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestWorkflowHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{name: "a Workflow without phase is progressing", fixture: "workflow/no-phase.yaml", status: v1alpha1.HealthStatusProgressing},
		{
			name: "a pending Workflow is progressing", fixture: "workflow/pending.yaml",
			status: v1alpha1.HealthStatusProgressing, message: "workflow is Pending",
		},
		{
			name: "a running Workflow is progressing", fixture: "workflow/running.yaml",
			status: v1alpha1.HealthStatusProgressing, message: "workflow is Running",
		},
		{
			name: "a succeeded Workflow is healthy", fixture: "workflow/succeeded.yaml",
			status: v1alpha1.HealthStatusHealthy, message: "workflow is Succeeded",
		},
		{
			name: "a failed Workflow is degraded", fixture: "workflow/failed.yaml",
			status: v1alpha1.HealthStatusDegraded, message: "workflow is Failed",
		},
		{
			name: "an errored Workflow is degraded", fixture: "workflow/error.yaml",
			status: v1alpha1.HealthStatusDegraded, message: "workflow is Error",
		},
		{
			name: "a Workflow in another phase is unknown", fixture: "workflow/skipped.yaml",
			status: v1alpha1.HealthStatusUnknown, message: "workflow is Skipped",
		},
	})
}

func TestRolloutHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{
			name: "a Rollout without status is progressing", fixture: "rollout/without-status.yaml",
			status: v1alpha1.HealthStatusProgressing, message: "Waiting for rollout spec update to be observed",
		},
		{
			name: "a Rollout whose generation is not observed is progressing", fixture: "rollout/generation-not-observed.yaml",
			status: v1alpha1.HealthStatusProgressing, message: "Waiting for rollout spec update to be observed",
		},
		{
			name: "a Rollout with a legacy hash as observed generation is assessed", fixture: "rollout/legacy-hash-generation.yaml",
			status: v1alpha1.HealthStatusHealthy,
		},
		{
			name: "a Rollout with an invalid spec is degraded", fixture: "rollout/invalid-spec.yaml",
			status: v1alpha1.HealthStatusDegraded,
			message: `The Rollout "shop" is invalid: spec.strategy.strategy: Required value: ` +
				`Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'`,
		},
		{
			name: "an aborted Rollout is degraded", fixture: "rollout/aborted.yaml",
			status: v1alpha1.HealthStatusDegraded, message: "Rollout is aborted",
		},
		{
			name: "a Rollout past its progress deadline is degraded", fixture: "rollout/progress-deadline-exceeded.yaml",
			status: v1alpha1.HealthStatusDegraded, message: `ReplicaSet "shop-6b8cf6f7db" has timed out progressing.`,
		},
		{
			name: "a Rollout paused by the user is suspended", fixture: "rollout/paused-by-user.yaml",
			status: v1alpha1.HealthStatusSuspended, message: "Rollout is paused",
		},
		{
			name: "a Rollout paused at a step is suspended", fixture: "rollout/paused-by-controller.yaml",
			status: v1alpha1.HealthStatusSuspended, message: "Rollout is paused",
		},
		{
			name: "a Rollout in the Paused phase is suspended", fixture: "rollout/paused-phase.yaml",
			status: v1alpha1.HealthStatusSuspended, message: "Rollout is paused",
		},
		{
			name: "a Rollout not reconciled yet is progressing", fixture: "rollout/not-reconciled.yaml",
			status: v1alpha1.HealthStatusProgressing, message: "Waiting for rollout to finish: status has not been reconciled.",
		},
		{
			name: "a Rollout updating replicas is progressing", fixture: "rollout/replicas-being-updated.yaml",
			status: v1alpha1.HealthStatusProgressing, message: "Waiting for roll out to finish: More replicas need to be updated",
		},
		{
			name: "a Rollout whose updated replicas are not available is progressing", fixture: "rollout/updated-replicas-not-available.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: "Waiting for roll out to finish: updated replicas are still becoming available",
		},
		{
			name: "a blue-green Rollout before the service cutover is progressing", fixture: "rollout/blue-green-cutover-pending.yaml",
			status: v1alpha1.HealthStatusProgressing, message: "active service cutover pending",
		},
		{
			name: "a blue-green Rollout waiting for analysis is progressing", fixture: "rollout/blue-green-analysis-running.yaml",
			status: v1alpha1.HealthStatusProgressing, message: "waiting for analysis to complete",
		},
		{
			name: "a blue-green Rollout serving the current pods is healthy", fixture: "rollout/blue-green-healthy.yaml",
			status: v1alpha1.HealthStatusHealthy,
		},
		{
			name: "a canary Rollout with old replicas terminating is progressing", fixture: "rollout/canary-old-replicas-terminating.yaml",
			status: v1alpha1.HealthStatusProgressing, message: "Waiting for roll out to finish: old replicas are pending termination",
		},
		{
			name: "a canary Rollout running its steps is progressing", fixture: "rollout/canary-steps-running.yaml",
			status: v1alpha1.HealthStatusProgressing, message: "Waiting for rollout to finish steps",
		},
		{
			name: "a canary Rollout whose stable pods are current is healthy", fixture: "rollout/canary-healthy.yaml",
			status: v1alpha1.HealthStatusHealthy,
		},
	})
}
