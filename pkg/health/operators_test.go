package health

import "testing"

func TestStrimziHealth(t *testing.T) {
	c := &Checker{}
	for _, kind := range []struct{ kind, waiting string }{
		{"Kafka", "Waiting for Kafka Cluster"}, {"KafkaTopic", "Waiting for Kafka Topic"}, {"KafkaUser", "Waiting for Kafka User"},
		{"KafkaConnect", "Waiting for Kafka Connect"}, {"KafkaConnector", "Waiting for KafkaConnector"}, {"KafkaBridge", "Waiting for KafkaBridge"},
	} {
		runKind(t, c, "kafka.strimzi.io/v1beta2", kind.kind, []objectCase{
			{name: "no status waits", object: `{}`, status: progressing, message: kind.waiting},
			{name: "ready", object: `status: {conditions: [{type: Ready, status: "True", message: ignored}]}`, status: healthy, message: ""},
			{name: "not ready", object: `status: {conditions: [{type: NotReady, status: "True", reason: Failed, message: broker down}]}`, status: degraded, message: "broker down"},
		})
	}
	runKind(t, c, "kafka.strimzi.io/v1beta2", "Kafka", []objectCase{
		{name: "a cluster still being created is not degraded", object: `status: {conditions: [{type: NotReady, status: "True", reason: Creating}]}`,
			status: progressing, message: "Waiting for Kafka Cluster"},
	})
}

func TestExternalSecretsHealth(t *testing.T) {
	c := &Checker{}
	runKind(t, c, "external-secrets.io/v1", "ExternalSecret", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for ExternalSecret"},
		{name: "synced", object: `status: {conditions: [{type: Ready, status: "True", message: secret synced}]}`, status: healthy, message: "secret synced"},
		{name: "failing", object: `status: {conditions: [{type: Ready, status: "False", message: could not get secret}]}`, status: degraded, message: "could not get secret"},
		{name: "an unknown Ready gives no health", object: `status: {conditions: [{type: Ready, status: Unknown}]}`},
		{name: "on change, a condition older than the refresh waits",
			object: `{spec: {refreshPolicy: OnChange}, status: {refreshTime: "2026-01-02T00:00:00Z", conditions: [{type: Ready, status: "True", lastTransitionTime: "2026-01-01T00:00:00Z"}]}}`,
			status: progressing, message: "Waiting for ExternalSecret"},
		{name: "on change, a fresh condition counts",
			object: `{spec: {refreshPolicy: OnChange}, status: {refreshTime: "2026-01-02T00:00:00Z", conditions: [{type: Ready, status: "False", lastTransitionTime: "2026-01-02T00:00:00Z", message: bad}]}}`,
			status: degraded, message: "bad"},
	})
	runKind(t, c, "external-secrets.io/v1", "ClusterExternalSecret", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for ClusterExternalSecret"},
		{name: "the newest condition is ready", object: `status: {conditions: [{type: NotReady, status: "True"}, {type: Ready, status: "True", message: all synced}]}`,
			status: healthy, message: "all synced"},
		{name: "partially ready", object: `status: {conditions: [{type: PartiallyReady, status: "True", message: 2 of 3}]}`, status: degraded, message: "2 of 3"},
		{name: "not ready", object: `status: {conditions: [{type: NotReady, status: "True", message: none}]}`, status: degraded, message: "none"},
	})
	for _, kind := range []string{"SecretStore", "ClusterSecretStore", "PushSecret"} {
		runKind(t, c, "external-secrets.io/v1", kind, []objectCase{
			{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for " + kind},
			{name: "ready", object: `status: {conditions: [{type: Ready, status: "True", message: valid}]}`, status: healthy, message: "valid"},
			{name: "not ready", object: `status: {conditions: [{type: Ready, status: "False", message: invalid}]}`, status: degraded, message: "invalid"},
		})
	}
}

func TestKedaHealth(t *testing.T) {
	c := &Checker{}
	runKind(t, c, "keda.sh/v1alpha1", "ScaledObject", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Creating HorizontalPodAutoscaler Object"},
		{name: "ready", object: `status: {conditions: [{type: Ready, status: "True", message: ScaledObject is defined correctly}]}`,
			status: healthy, message: "ScaledObject is defined correctly"},
		{name: "ready and paused", object: `status: {conditions: [{type: Ready, status: "True", message: ok}, {type: Paused, status: "True", message: paused by annotation}]}`,
			status: suspended, message: "paused by annotation"},
		{name: "falling back", object: `status: {conditions: [{type: Ready, status: "True", message: ok}, {type: Fallback, status: "True", message: using fallback}]}`,
			status: degraded, message: "using fallback"},
		{name: "not ready", object: `status: {conditions: [{type: Ready, status: "False", message: no scale target}]}`, status: degraded, message: "no scale target"},
	})
	runKind(t, c, "keda.sh/v1alpha1", "ScaledJob", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for ScaledJob"},
		{name: "ready", object: `status: {conditions: [{type: Ready, status: "True", message: ok}]}`, status: healthy, message: "ok"},
		{name: "ready unknown", object: `status: {conditions: [{type: Ready, status: Unknown, message: hm}]}`, status: degraded, message: "hm"},
		{name: "paused", object: `status: {conditions: [{type: Ready, status: "True", message: ok}, {type: Paused, status: "True", message: paused}]}`,
			status: suspended, message: "paused"},
	})
}

func TestKruiseHealth(t *testing.T) {
	c := &Checker{}
	runKind(t, c, "apps.kruise.io/v1alpha1", "CloneSet", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for initialization"},
		{name: "generation not observed", object: `{metadata: {generation: 2}, status: {observedGeneration: 1}}`, status: progressing, message: "Waiting for initialization"},
		{name: "paused", object: `{metadata: {generation: 1}, spec: {updateStrategy: {paused: true}}, status: {observedGeneration: 1, updatedAvailableReplicas: 1, replicas: 1}}`,
			status: suspended, message: "Cloneset is paused"},
		{name: "no updated replicas reported", object: `{metadata: {generation: 1}, status: {observedGeneration: 1, replicas: 1}}`,
			status: suspended, message: "Cloneset is paused"},
		{name: "partition reached", object: `{metadata: {generation: 2}, spec: {updateStrategy: {partition: 2}}, status: {observedGeneration: 2, updatedAvailableReplicas: 1, replicas: 3, updatedReplicas: 1, expectedUpdatedReplicas: 1}}`,
			status: suspended, message: "Cloneset needs manual intervention"},
		{name: "partition not reached", object: `{metadata: {generation: 2}, spec: {updateStrategy: {partition: 2}}, status: {observedGeneration: 2, updatedAvailableReplicas: 0, replicas: 3, updatedReplicas: 0, expectedUpdatedReplicas: 1}}`,
			status: progressing, message: "Waiting for initialization"},
		{name: "all updated and available", object: `{metadata: {generation: 1}, status: {observedGeneration: 1, updatedAvailableReplicas: 3, replicas: 3}}`,
			status: healthy, message: "All Cloneset workloads are ready and updated"},
		{name: "some unavailable", object: `{metadata: {generation: 1}, status: {observedGeneration: 1, updatedAvailableReplicas: 2, replicas: 3}}`,
			status: degraded, message: "Some replicas are not ready or available"},
	})
	runKind(t, c, "apps.kruise.io/v1beta1", "StatefulSet", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for initialization"},
		{name: "paused", object: `{metadata: {generation: 1}, spec: {updateStrategy: {rollingUpdate: {paused: true}}}, status: {observedGeneration: 1, updatedAvailableReplicas: 1, replicas: 1}}`,
			status: suspended, message: "Statefulset is paused"},
		{name: "partition reached", object: `{metadata: {generation: 3}, spec: {updateStrategy: {rollingUpdate: {partition: 1}}}, status: {observedGeneration: 3, updatedAvailableReplicas: 3, replicas: 3, updatedReplicas: 3}}`,
			status: suspended, message: "Statefulset needs manual intervention"},
		{name: "ready", object: `{metadata: {generation: 1}, status: {observedGeneration: 1, updatedAvailableReplicas: 2, replicas: 2}}`,
			status: healthy, message: "All Statefulset workloads are ready and updated"},
		{name: "not ready", object: `{metadata: {generation: 1}, status: {observedGeneration: 1, updatedAvailableReplicas: 1, replicas: 2}}`,
			status: degraded, message: "Some replicas are not ready or available"},
	})
	runKind(t, c, "apps.kruise.io/v1alpha1", "DaemonSet", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for initialization"},
		{name: "paused", object: `{metadata: {generation: 1}, spec: {updateStrategy: {rollingUpdate: {paused: true}}}, status: {observedGeneration: 1, updatedNumberScheduled: 1}}`,
			status: suspended, message: "Daemonset is paused"},
		{name: "partition reached", object: `{metadata: {generation: 2}, spec: {updateStrategy: {rollingUpdate: {partition: 1}}}, status: {observedGeneration: 2, updatedNumberScheduled: 3, desiredNumberScheduled: 3}}`,
			status: suspended, message: "Daemonset needs manual intervention"},
		{name: "ready", object: `{metadata: {generation: 1}, status: {observedGeneration: 1, updatedNumberScheduled: 3, desiredNumberScheduled: 3, numberAvailable: 3}}`,
			status: healthy, message: "All Daemonset workloads are ready and updated"},
		{name: "all unavailable", object: `{metadata: {generation: 1}, status: {observedGeneration: 1, updatedNumberScheduled: 3, desiredNumberScheduled: 3, numberAvailable: 0, numberUnavailable: 3}}`,
			status: degraded, message: "Some pods are not ready or available"},
		{name: "some unavailable", object: `{metadata: {generation: 1}, status: {observedGeneration: 1, updatedNumberScheduled: 3, desiredNumberScheduled: 3, numberAvailable: 2, numberUnavailable: 1}}`,
			status: progressing, message: "Waiting for initialization"},
	})
	runKind(t, c, "apps.kruise.io/v1alpha1", "BroadcastJob", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "BroadcastJob is still running"},
		{name: "completed", object: `status: {phase: completed, desired: 2, succeeded: 2}`, status: healthy, message: "BroadcastJob is completed successfully"},
		{name: "running", object: `status: {phase: running, active: 1}`, status: progressing, message: "BroadcastJob is still running"},
		{name: "failed", object: `status: {phase: failed, failed: 1}`, status: degraded, message: "BroadcastJob failed"},
		{name: "paused", object: `{spec: {paused: true}, status: {phase: paused}}`, status: suspended, message: "BroadcastJob is Paused"},
	})
	runKind(t, c, "apps.kruise.io/v1alpha1", "AdvancedCronJob", []objectCase{
		{name: "paused before the first run", object: `{spec: {paused: true}, status: {}}`, status: suspended, message: "AdvancedCronJob is Paused"},
		{name: "running", object: `status: {lastScheduleTime: "2026-01-01T00:00:00Z", active: [{name: job-1}]}`, status: progressing, message: "AdvancedCronJobs has active jobs"},
		{name: "never run", object: `status: {}`, status: degraded, message: "AdvancedCronJobs has not run successfully"},
		{name: "has run", object: `status: {lastScheduleTime: "2026-01-01T00:00:00Z"}`, status: healthy, message: "AdvancedCronJobs has run successfully"},
	})
}
