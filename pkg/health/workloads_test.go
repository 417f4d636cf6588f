package health

import (
	"testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestDeploymentHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{
			name:    "a paused Deployment is suspended",
			fixture: "deployment/paused.yaml",
			status:  v1alpha1.HealthStatusSuspended, message: "Deployment is paused",
		},
		{
			name:    "a Deployment past its progress deadline is degraded",
			fixture: "deployment/progress-deadline-exceeded.yaml",
			status:  v1alpha1.HealthStatusDegraded, message: `Deployment "web" exceeded its progress deadline`,
		},
		{
			name:    "a Deployment updating replicas is progressing",
			fixture: "deployment/replicas-being-updated.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: "Waiting for rollout to finish: 1 out of 3 new replicas have been updated...",
		},
		{
			name:    "a Deployment with old replicas terminating is progressing",
			fixture: "deployment/old-replicas-terminating.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: "Waiting for rollout to finish: 1 old replicas are pending termination...",
		},
		{
			name:    "a Deployment whose updated replicas are not available is progressing",
			fixture: "deployment/updated-replicas-not-available.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: "Waiting for rollout to finish: 2 of 3 updated replicas are available...",
		},
		{
			name:    "a Deployment whose generation is not observed is progressing",
			fixture: "deployment/generation-not-observed.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: "Waiting for rollout to finish: observed deployment generation less than desired generation",
		},
		{
			name:    "a rolled out Deployment is healthy",
			fixture: "deployment/healthy.yaml",
			status:  v1alpha1.HealthStatusHealthy,
		},
		{
			name:    "a Deployment with a wrongly typed field is unknown",
			fixture: "deployment/wrong-field-type.yaml",
			status:  v1alpha1.HealthStatusUnknown, message: "read Deployment: .spec.replicas is string, want integer",
			wantErr: true,
		},
	})
}

func TestStatefulSetHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{
			name:    "a StatefulSet whose generation is not observed is progressing",
			fixture: "statefulset/generation-not-observed.yaml",
			status:  v1alpha1.HealthStatusProgressing, message: "Waiting for statefulset spec update to be observed...",
		},
		{
			name:    "a StatefulSet with pods not ready is progressing",
			fixture: "statefulset/pods-not-ready.yaml",
			status:  v1alpha1.HealthStatusProgressing, message: "Waiting for 2 pods to be ready...",
		},
		{
			name:    "a partitioned StatefulSet rolling out is progressing",
			fixture: "statefulset/partition-rolling-out.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: "Waiting for partitioned roll out to finish: 1 out of 3 new pods have been updated...",
		},
		{
			name:    "a partitioned StatefulSet with the pods above the partition updated is healthy",
			fixture: "statefulset/partition-rolled-out.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "partitioned roll out complete: 3 new pods have been updated...",
		},
		{
			name:    "an OnDelete StatefulSet with ready pods is healthy",
			fixture: "statefulset/on-delete.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "statefulset has 3 ready pods",
		},
		{
			name:    "a StatefulSet whose update revision is not current is progressing",
			fixture: "statefulset/revision-rolling-out.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: "waiting for statefulset rolling update to complete 1 pods at revision db-2...",
		},
		{
			name:    "a rolled out StatefulSet is healthy",
			fixture: "statefulset/healthy.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "statefulset rolling update complete 3 pods at revision db-2...",
		},
	})
}

func TestDaemonSetHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{
			name:    "a DaemonSet whose generation is not observed is progressing",
			fixture: "daemonset/generation-not-observed.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: "Waiting for rollout to finish: observed daemon set generation less than desired generation",
		},
		{
			name:    "an OnDelete DaemonSet is healthy whatever its updated pods",
			fixture: "daemonset/on-delete.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "daemon set 1 out of 3 new pods have been updated",
		},
		{
			name:    "a DaemonSet updating pods is progressing",
			fixture: "daemonset/pods-being-updated.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: `Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...`,
		},
		{
			name:    "a DaemonSet with pods not available is progressing",
			fixture: "daemonset/pods-not-available.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: `Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...`,
		},
		{
			name:    "a rolled out DaemonSet is healthy",
			fixture: "daemonset/healthy.yaml",
			status:  v1alpha1.HealthStatusHealthy,
		},
	})
}

func TestReplicaSetHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{
			name:    "a ReplicaSet failing to create replicas is degraded",
			fixture: "replicaset/replica-failure.yaml",
			status:  v1alpha1.HealthStatusDegraded, message: `pods "web-7c9d-" is forbidden: exceeded quota: compute`,
		},
		{
			name:    "a ReplicaSet with replicas not available is progressing",
			fixture: "replicaset/replicas-not-available.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: "Waiting for rollout to finish: 1 out of 3 new replicas are available...",
		},
		{
			name:    "a ReplicaSet whose generation is not observed is progressing",
			fixture: "replicaset/generation-not-observed.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: "Waiting for rollout to finish: observed replica set generation less than desired generation",
		},
		{
			name:    "a ReplicaSet with every replica available is healthy",
			fixture: "replicaset/healthy.yaml",
			status:  v1alpha1.HealthStatusHealthy,
		},
	})
}
