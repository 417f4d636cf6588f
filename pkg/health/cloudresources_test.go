package health

import "testing"

func TestCrossplaneHealth(t *testing.T) {
	c := &Checker{}
	runKind(t, c, "s3.aws.crossplane.io/v1beta1", "Bucket", []objectCase{
		{name: "no status at all", object: `{}`, status: healthy, message: "Resource is up-to-date."},
		{name: "no conditions yet", object: `status: {atProvider: {}}`, status: progressing, message: "Provisioning ..."},
		{name: "ready", object: `status: {conditions: [{type: Synced, status: "True"}, {type: Ready, status: "True"}]}`, status: healthy, message: "Resource is up-to-date."},
		{name: "sync failed", object: `status: {conditions: [{type: Synced, status: "False", message: access denied}, {type: Ready, status: "True"}]}`,
			status: degraded, message: "access denied"},
		{name: "async operation failed", object: `status: {conditions: [{type: LastAsyncOperation, status: "False", message: quota}]}`, status: degraded, message: "quota"},
		{name: "creating", object: `status: {conditions: [{type: Ready, status: "False", reason: Creating}]}`, status: progressing, message: "Provisioning ..."},
	})
	runKind(t, c, "pkg.crossplane.io/v1", "Provider", []objectCase{
		{name: "healthy", object: `status: {conditions: [{type: Installed, status: "True"}, {type: Healthy, status: "True"}]}`, status: healthy, message: "Resource is up-to-date."},
	})
	runKind(t, c, "aws.crossplane.io/v1beta1", "ProviderConfig", []objectCase{
		{name: "an empty status", object: `status: {}`, status: healthy, message: "Resource is up-to-date."},
		{name: "in use", object: `status: {users: 2}`, status: healthy, message: "Resource is in use."},
	})
	runKind(t, c, "apiextensions.crossplane.io/v1", "CompositeResourceDefinition", []objectCase{
		{name: "an empty status of a kind that reports one", object: `status: {}`, status: progressing, message: "Provisioning ..."},
		{name: "offered", object: `status: {conditions: [{type: Established, status: "True"}]}`, status: healthy, message: "Resource is up-to-date."},
	})
	runKind(t, c, "s3.aws.upbound.io/v1beta1", "Bucket", []objectCase{
		{name: "no status", object: `{}`, status: healthy, message: "Resource is up-to-date."},
		{name: "ready", object: `status: {conditions: [{type: Ready, status: "True"}, {type: Synced, status: "True"}]}`, status: healthy, message: "Resource is up-to-date."},
		{name: "a later failure wins", object: `status: {conditions: [{type: Ready, status: "True"}, {type: Synced, status: "False", message: cannot update}]}`,
			status: degraded, message: "cannot update"},
		{name: "healthy is not enough", object: `status: {conditions: [{type: Healthy, status: "True"}]}`, status: progressing, message: "Provisioning ..."},
	})
}

func TestConfigConnectorAndACKHealth(t *testing.T) {
	c := &Checker{}
	runKind(t, c, "storage.cnrm.cloud.google.com/v1beta1", "StorageBucket", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "Update in progress"},
		{name: "up to date", object: `status: {conditions: [{type: Ready, status: "True", reason: UpToDate, message: The resource is up to date}]}`,
			status: healthy, message: "The resource is up to date"},
		{name: "update failed", object: `status: {conditions: [{type: Ready, status: "False", reason: UpdateFailed, message: permission denied}]}`, status: degraded, message: "permission denied"},
		{name: "dependency not found", object: `status: {conditions: [{type: Ready, status: "False", reason: DependencyNotFound, message: no project}]}`, status: degraded, message: "no project"},
		{name: "dependency not ready", object: `status: {conditions: [{type: Ready, status: "False", reason: DependencyNotReady, message: waiting}]}`, status: suspended, message: "waiting"},
		{name: "stale status", object: `{metadata: {generation: 3}, status: {observedGeneration: 2, conditions: [{type: Ready, status: "True", reason: UpToDate}]}}`,
			status: progressing, message: "Update in progress"},
	})
	runKind(t, c, "core.cnrm.cloud.google.com/v1beta1", "ConfigConnectorContext", []objectCase{
		{name: "healthy", object: `status: {healthy: true}`, status: healthy, message: "ConfigConnectorContext is healthy"},
		{name: "unhealthy", object: `status: {healthy: false}`, status: degraded, message: "ConfigConnectorContext is not healthy"},
	})
	runKind(t, c, "s3.services.k8s.aws/v1alpha1", "Bucket", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "Waiting for resource to be ready"},
		{name: "terminal", object: `status: {conditions: [{type: ACK.Terminal, status: "True", message: invalid name}]}`, status: degraded, message: "invalid name"},
		{name: "not ready", object: `status: {conditions: [{type: Ready, status: "False", message: creating}]}`, status: progressing, message: "creating"},
		{name: "ready", object: `status: {conditions: [{type: Ready, status: "True", message: x}]}`, status: healthy, message: ""},
	})
}

func TestClusterAPIHealth(t *testing.T) {
	c := &Checker{}
	const gv = "cluster.x-k8s.io/v1beta1"
	runKind(t, c, gv, "Cluster", []objectCase{
		{name: "paused", object: `spec: {paused: true}`, status: suspended, message: "Cluster is paused"},
		{name: "no phase", object: `{}`, status: progressing, message: "Waiting for clusters"},
		{name: "provisioned", object: `status: {phase: Provisioned}`, status: healthy, message: "Cluster is running"},
		{name: "failed", object: `status: {phase: Failed}`, status: degraded, message: ""},
		{name: "not ready overrides the phase", object: `status: {phase: Provisioned, conditions: [{type: Ready, status: "False", message: control plane down}]}`,
			status: degraded, message: "control plane down"},
	})
	runKind(t, c, gv, "Machine", []objectCase{
		{name: "running", object: `status: {phase: Running}`, status: healthy, message: "Machine is running"},
		{name: "failed", object: `status: {phase: Failed, conditions: [{type: Ready, status: "False", message: no capacity}]}`, status: degraded, message: "no capacity"},
		{name: "provisioning", object: `status: {phase: Provisioning}`, status: progressing, message: "Condition is unknown"},
	})
	runKind(t, c, gv, "MachineDeployment", []objectCase{
		{name: "paused", object: `spec: {paused: true}`, status: suspended, message: "MachineDeployment is paused"},
		{name: "running", object: `status: {phase: Running, replicas: 3, updatedReplicas: 3, readyReplicas: 3}`, status: healthy, message: "Machines are running under this deployment"},
		{name: "running, not all ready", object: `status: {phase: Running, replicas: 3, updatedReplicas: 3, readyReplicas: 2}`, status: progressing, message: "Waiting for machines"},
		{name: "scaling up", object: `status: {phase: ScalingUp}`, status: progressing, message: "Cluster is spawning machines"},
		{name: "scaling down", object: `status: {phase: ScalingDown}`, status: progressing, message: "Cluster is stopping machines"},
		{name: "failed", object: `status: {phase: Failed}`, status: degraded, message: "MachineDeployment is failed"},
	})
	runKind(t, c, gv, "MachineHealthCheck", []objectCase{
		{name: "no status", object: `{}`, status: progressing},
		{name: "all healthy", object: `status: {expectedMachines: 3, currentHealthy: 3}`, status: healthy},
		{name: "some unhealthy", object: `status: {expectedMachines: 3, currentHealthy: 2}`, status: degraded},
	})
	runKind(t, c, gv, "MachinePool", []objectCase{
		{name: "no phase", object: `{}`, status: progressing},
		{name: "running", object: `status: {phase: Running}`, status: healthy, message: "MachinePool is Running"},
		{name: "scaling with failing conditions", object: `status: {phase: Scaling, conditions: [{type: Ready, status: "False", reason: ScalingUp}, {type: InfrastructureReady, status: "False"}]}`,
			status: healthy, message: "MachinePool is Scaling: Not Ready (ScalingUp), Not InfrastructureReady"},
		{name: "failed", object: `status: {phase: Failed}`, status: degraded, message: "MachinePool is Failed"},
		{name: "provisioning", object: `status: {phase: Provisioning}`, status: progressing, message: "MachinePool is Provisioning"},
	})
}
