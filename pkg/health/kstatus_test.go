package health

import (
	"testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestKstatusHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{
			name: "a custom resource with Ready=True is healthy", fixture: "kstatus/ready-true.yaml",
			status: v1alpha1.HealthStatusHealthy, message: "Resource is Ready",
		},
		{
			name: "a custom resource with Ready=False is progressing", fixture: "kstatus/ready-false.yaml",
			status: v1alpha1.HealthStatusProgressing, message: "bucket is being created",
		},
		{
			name: "a custom resource whose generation is not observed is progressing", fixture: "kstatus/generation-not-observed.yaml",
			status: v1alpha1.HealthStatusProgressing, message: "Bucket generation is 3, but latest observed generation is 2",
		},
		{
			name: "a reconciling custom resource is progressing", fixture: "kstatus/reconciling.yaml",
			status: v1alpha1.HealthStatusProgressing, message: "cloning repository",
		},
		{
			name: "a stalled custom resource is degraded", fixture: "kstatus/stalled.yaml",
			status: v1alpha1.HealthStatusDegraded, message: `invalid URL "ftp://example.com"`,
		},
		// kstatus would call these Current whatever they report: no health, as in Argo CD.
		{name: "a custom resource with an observed generation and no conditions has no health", fixture: "kstatus/observed-generation-only.yaml"},
		{name: "a PodDisruptionBudget, whose conditions kstatus does not understand, has no health", fixture: "kstatus/pod-disruption-budget.yaml"},
		{name: "a custom resource without status has no health", fixture: "kstatus/without-status.yaml"},
		{name: "a custom resource with only its own condition types has no health", fixture: "kstatus/own-conditions-only.yaml"},
		{name: "a ConfigMap has no health", fixture: "kstatus/config-map.yaml"},
	})
}
