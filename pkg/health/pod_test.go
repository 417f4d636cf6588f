package health

import (
	"testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestPodHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{
			name:    "a crash-looping pod is degraded",
			fixture: "pod/crash-loop-back-off.yaml",
			status:  v1alpha1.HealthStatusDegraded,
			message: "back-off 2m40s restarting failed container=web pod=web-7c9d-x2k4p_shop",
		},
		{
			name:    "a pod failing to pull images is degraded with every container's message",
			fixture: "pod/image-pull-back-off.yaml",
			status:  v1alpha1.HealthStatusDegraded,
			message: `Back-off pulling image "nginx:nope", rpc error: code = NotFound desc = failed to pull image "envoy:nope"`,
		},
		{
			name:    "a pod whose container config is broken is degraded",
			fixture: "pod/create-container-config-error.yaml",
			status:  v1alpha1.HealthStatusDegraded, message: `secret "web-env" not found`,
		},
		{
			name:    "a pending pod is progressing with the scheduler's message",
			fixture: "pod/pending.yaml",
			status:  v1alpha1.HealthStatusProgressing, message: "0/3 nodes are available: 3 Insufficient cpu.",
		},
		{
			name:    "a succeeded pod is healthy",
			fixture: "pod/succeeded.yaml",
			status:  v1alpha1.HealthStatusHealthy,
		},
		{
			name:    "a failed pod is degraded with the pod's message",
			fixture: "pod/failed-with-message.yaml",
			status:  v1alpha1.HealthStatusDegraded, message: "The node was low on resource: memory.",
		},
		{
			name:    "a failed pod is degraded with its container's termination message",
			fixture: "pod/failed-with-termination-message.yaml",
			status:  v1alpha1.HealthStatusDegraded, message: `relation "orders" already exists`,
		},
		{
			name:    "a failed pod killed for memory is degraded as OOMKilled",
			fixture: "pod/failed-oom-killed.yaml",
			status:  v1alpha1.HealthStatusDegraded, message: "OOMKilled",
		},
		{
			name:    "a failed pod is degraded with its init container's exit code",
			fixture: "pod/failed-init-container-exit-code.yaml",
			status:  v1alpha1.HealthStatusDegraded, message: `container "wait" failed with exit code 3`,
		},
		{
			name:    "a failed pod without any detail is degraded",
			fixture: "pod/failed-without-detail.yaml",
			status:  v1alpha1.HealthStatusDegraded,
		},
		{
			name:    "a running ready pod is healthy",
			fixture: "pod/running-ready.yaml",
			status:  v1alpha1.HealthStatusHealthy,
		},
		{
			name:    "a running pod that restarted and is not ready is degraded",
			fixture: "pod/running-restarted-not-ready.yaml",
			status:  v1alpha1.HealthStatusDegraded,
		},
		{
			name:    "a running pod that is not ready yet is progressing",
			fixture: "pod/running-not-ready.yaml",
			status:  v1alpha1.HealthStatusProgressing,
		},
		{
			name:    "a running pod that never restarts is progressing until it succeeds",
			fixture: "pod/running-restart-never.yaml",
			status:  v1alpha1.HealthStatusProgressing,
		},
		{
			name:    "a running pod that restarts on failure is progressing until it succeeds",
			fixture: "pod/running-restart-on-failure.yaml",
			status:  v1alpha1.HealthStatusProgressing,
		},
		{
			name:    "a pod that never restarts is not degraded by an image pull back-off",
			fixture: "pod/restart-never-back-off.yaml",
			status:  v1alpha1.HealthStatusProgressing,
		},
		{
			name:    "a never-restarting pod that ignores its restart policy is healthy when ready",
			fixture: "pod/restart-never-ignore-restart-policy.yaml",
			status:  v1alpha1.HealthStatusHealthy,
		},
		{
			name:    "a never-restarting pod that ignores its restart policy is degraded by a back-off",
			fixture: "pod/restart-never-ignore-restart-policy-back-off.yaml",
			status:  v1alpha1.HealthStatusDegraded, message: `Back-off pulling image "runner:nope"`,
		},
		{
			name:    "a hook pod keeps its restart policy despite the ignore annotation",
			fixture: "pod/hook-ignore-restart-policy.yaml",
			status:  v1alpha1.HealthStatusProgressing,
		},
		{
			name:    "a pod in an unknown phase is unknown",
			fixture: "pod/unknown-phase.yaml",
			status:  v1alpha1.HealthStatusUnknown, message: "node node-1 is unreachable",
		},
	})
}
