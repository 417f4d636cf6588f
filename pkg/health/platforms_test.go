package health

import "testing"

func TestKnativeServiceHealth(t *testing.T) {
	runKind(t, &Checker{}, "serving.knative.dev/v1", "Service", []objectCase{
		{name: "no conditions", object: `{}`, status: progressing, message: "Waiting for status update."},
		{name: "ready", object: `status: {conditions: [{type: ConfigurationsReady, status: "True"}, {type: Ready, status: "True"}, {type: RoutesReady, status: "True"}]}`,
			status: healthy, message: "Knative Service is healthy."},
		{name: "a revision failed", object: `status: {conditions: [{type: ConfigurationsReady, status: "False", reason: RevisionFailed, message: image not found}, {type: Ready, status: "False", reason: RevisionFailed}, {type: RoutesReady, status: "True"}]}`,
			status: degraded, message: "ConfigurationsReady is False, since RevisionFailed. image not found\nReady is False, since RevisionFailed.\n"},
		{name: "rolling out", object: `status: {conditions: [{type: ConfigurationsReady, status: Unknown}, {type: Ready, status: Unknown}, {type: RoutesReady, status: "True"}]}`,
			status: progressing, message: "ConfigurationsReady is Unknown\nReady is Unknown\n"},
	})
}

func TestKubeVirtHealth(t *testing.T) {
	c := &Checker{}
	runKind(t, c, "kubevirt.io/v1", "VirtualMachine", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "No status available"},
		{name: "paused", object: `status: {conditions: [{type: Ready, status: "True"}, {type: Paused, status: "True"}]}`, status: suspended, message: "Paused"},
		{name: "running", object: `status: {conditions: [{type: Ready, status: "True"}], printableStatus: Running}`, status: healthy, message: "Running"},
		{name: "starting", object: `status: {created: true, conditions: [{type: Ready, status: "False"}]}`, status: progressing, message: "Starting"},
		{name: "stopped", object: `status: {conditions: [{type: Ready, status: "False"}], printableStatus: Stopped}`, status: suspended, message: "Stopped"},
		{name: "the printable status is the message", object: `status: {created: true, conditions: [{type: Ready, status: "False"}], printableStatus: ErrImagePull}`,
			status: progressing, message: "ErrImagePull"},
	})
	runKind(t, c, "kubevirt.io/v1", "VirtualMachineInstance", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "No status available"},
		{name: "failed", object: `status: {phase: Failed}`, status: degraded, message: "Failed"},
		{name: "scheduling", object: `status: {phase: Scheduling}`, status: progressing, message: "Scheduling"},
		{name: "succeeded", object: `status: {phase: Succeeded}`, status: suspended, message: "Succeeded"},
		{name: "unknown phase", object: `status: {phase: Unknown}`, status: unknown, message: "Unknown"},
		{name: "running and ready", object: `status: {phase: Running, conditions: [{type: Ready, status: "True"}]}`, status: healthy, message: "Running"},
		{name: "running, not ready", object: `status: {phase: Running, conditions: [{type: Ready, status: "False", message: guest agent down}]}`, status: degraded, message: "guest agent down"},
		{name: "paused", object: `status: {phase: Running, conditions: [{type: Paused, status: "True", message: paused by user}]}`, status: suspended, message: "paused by user"},
		{name: "running without conditions", object: `status: {phase: Running}`, status: progressing, message: "Running"},
	})
}

func TestFlinkAndSparkHealth(t *testing.T) {
	c := &Checker{}
	runKind(t, c, "flink.apache.org/v1beta1", "FlinkDeployment", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "Waiting for Flink operator"},
		{name: "deployed", object: `status: {reconciliationStatus: {state: DEPLOYED}}`, status: healthy},
		{name: "reconciled", object: `status: {reconciliationStatus: {success: true}}`, status: healthy},
		{name: "deploying", object: `status: {reconciliationStatus: {state: UPGRADING}, jobManagerDeploymentStatus: DEPLOYING}`, status: progressing, message: "Waiting for deploying"},
		{name: "error", object: `status: {reconciliationStatus: {state: UPGRADING, error: bad jar}, jobManagerDeploymentStatus: ERROR}`, status: degraded, message: "bad jar"},
	})
	runKind(t, c, "flink.apache.org/v1beta1", "FlinkSessionJob", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "Waiting for FlinkSessionJob to be reconciled"},
		{name: "running", object: `status: {jobStatus: {state: RUNNING}}`, status: healthy, message: "RUNNING"},
		{name: "created", object: `status: {jobStatus: {state: CREATED}}`, status: progressing, message: "CREATED"},
		{name: "suspended", object: `status: {jobStatus: {state: SUSPENDED}}`, status: suspended, message: "SUSPENDED"},
		{name: "failed with an error", object: `status: {jobStatus: {state: FAILED}, error: oom}`, status: degraded, message: "oom"},
		{name: "failed", object: `status: {jobStatus: {state: FAILED}}`, status: degraded, message: "FlinkSessionJob failed"},
		{name: "an error before the job", object: `status: {error: no session cluster}`, status: degraded, message: "no session cluster"},
	})
	runKind(t, c, "flink.apache.org/v1beta1", "FlinkBlueGreenDeployment", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "Waiting for Flink operator"},
		{name: "rolling back", object: `status: {reconciliationStatus: {state: ROLLING_BACK}}`, status: progressing, message: "Rolling back to last stable spec"},
		{name: "rolled back", object: `status: {reconciliationStatus: {state: ROLLED_BACK}, error: bad}`, status: degraded, message: "Rolled back: bad"},
		{name: "rolled back without error", object: `status: {reconciliationStatus: {state: ROLLED_BACK}}`, status: degraded, message: "Deployment rolled back"},
		{name: "active", object: `status: {blueGreenState: ACTIVE_BLUE}`, status: healthy, message: "ACTIVE_BLUE"},
		{name: "active with a warning", object: `status: {blueGreenState: ACTIVE_GREEN, error: slow}`, status: healthy, message: "ACTIVE_GREEN (warning: slow)"},
		{name: "crash-looping", object: `status: {blueGreenState: ACTIVE_BLUE, jobStatus: {state: RESTARTING}}`, status: degraded, message: "Job crash-looping (RESTARTING) in ACTIVE_BLUE"},
		{name: "initializing", object: `status: {blueGreenState: INITIALIZING_BLUE}`, status: progressing, message: "Initializing blue deployment"},
		{name: "to blue", object: `status: {blueGreenState: TRANSITIONING_TO_BLUE}`, status: progressing, message: "Rolling back to blue deployment"},
		{name: "to green", object: `status: {blueGreenState: TRANSITIONING_TO_GREEN}`, status: progressing, message: "Transitioning to green deployment"},
		{name: "savepointing", object: `status: {blueGreenState: SAVEPOINTING_GREEN}`, status: progressing, message: "Taking savepoint: SAVEPOINTING_GREEN"},
		{name: "job failed", object: `status: {jobStatus: {state: FAILED}}`, status: progressing, message: "Job failed, operator recovering"},
		{name: "job failed with an error", object: `status: {jobStatus: {state: FAILED}, error: x}`, status: progressing, message: "Job failed, operator recovering: x"},
		{name: "processing an error", object: `status: {error: x}`, status: progressing, message: "Operator processing: x"},
	})
	runKind(t, c, "sparkoperator.k8s.io/v1beta2", "SparkApplication", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "Waiting for Executor pods"},
		{name: "an empty state has no health", object: `status: {applicationState: {state: ""}}`},
		{name: "running with every executor", object: `{spec: {executor: {instances: 2}}, status: {applicationState: {state: RUNNING}, executorState: {a: RUNNING, b: RUNNING}}}`,
			status: healthy, message: "SparkApplication is Running"},
		{name: "running with executors missing", object: `{spec: {executor: {instances: 2}}, status: {applicationState: {state: RUNNING}, executorState: {a: RUNNING, b: PENDING}}}`,
			status: progressing, message: "Waiting for Executor pods"},
		{name: "submitted", object: `status: {applicationState: {state: SUBMITTED}}`, status: progressing, message: "SparkApplication was submitted successfully"},
		{name: "completed", object: `status: {applicationState: {state: COMPLETED}}`, status: healthy, message: "SparkApplication was Completed"},
		{name: "failed", object: `status: {applicationState: {state: FAILED, errorMessage: driver died}}`, status: degraded, message: "driver died"},
		{name: "invalidating", object: `status: {applicationState: {state: INVALIDATING}}`, status: missingCode, message: "SparkApplication is in InvalidatingState"},
		{name: "an unlisted state", object: `status: {applicationState: {state: NEW}}`, status: progressing, message: "Waiting for Executor pods"},
	})
}

func TestIstioOperatorAndCRDHealth(t *testing.T) {
	c := &Checker{}
	runKind(t, c, "install.istio.io/v1alpha1", "IstioOperator", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "Waiting for Istio Control Plane"},
		{name: "healthy by name", object: `status: {status: HEALTHY}`, status: healthy, message: "Component is healthy."},
		{name: "healthy by number", object: `status: {status: 3}`, status: healthy, message: "Component is healthy."},
		{name: "error", object: `status: {status: ERROR}`, status: degraded, message: "Component is in an error state."},
		{name: "none", object: `status: {status: 0}`, status: unknown, message: "Component is not present."},
		{name: "reconciling", object: `status: {status: RECONCILING}`, status: progressing,
			message: "Controller has started but not yet completed reconciliation loop for the component."},
		{name: "updating", object: `status: {status: 1}`, status: progressing, message: "Component is being updated to a different version."},
	})
	runKind(t, c, "apiextensions.k8s.io/v1", "CustomResourceDefinition", []objectCase{
		{name: "no conditions", object: `{}`, status: progressing, message: "Status conditions not found"},
		{name: "established", object: `status: {conditions: [{type: NamesAccepted, status: "True"}, {type: Established, status: "True"}]}`, status: healthy, message: "CRD is healthy"},
		{name: "being installed", object: `status: {conditions: [{type: NamesAccepted, status: "True"}, {type: Established, status: "False", reason: Installing}]}`,
			status: progressing, message: "CRD is not established"},
		{name: "not established", object: `status: {conditions: [{type: NamesAccepted, status: "True"}]}`, status: degraded, message: "CRD is not established"},
		{name: "names conflict", object: `status: {conditions: [{type: NamesAccepted, status: "False", message: plural taken}]}`, status: degraded, message: "CRD names have not been accepted: plural taken"},
		{name: "non-structural", object: `status: {conditions: [{type: Established, status: "True"}, {type: NonStructuralSchema, status: "True", message: bad schema}]}`,
			status: degraded, message: "Schema violations found: bad schema"},
		{name: "terminating", object: `status: {conditions: [{type: Terminating, status: "True", message: instances remain}]}`, status: progressing, message: "CRD is terminating: instances remain"},
	})
}
