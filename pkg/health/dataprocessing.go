package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// flinkChecks cover the Flink Kubernetes operator's deployments and jobs.
var flinkChecks = kinds("flink.apache.org", map[string]check{
	"FlinkDeployment":          flinkDeploymentHealth,
	"FlinkSessionJob":          flinkSessionJobHealth,
	"FlinkBlueGreenDeployment": flinkBlueGreenHealth,
})

const flinkWaiting = "Waiting for Flink operator"

func flinkDeploymentHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.object(obj, "status", "reconciliationStatus") != nil {
		if r.boolean(obj, "status", "reconciliationStatus", "success") || r.str(obj, "status", "reconciliationStatus", "state") == "DEPLOYED" {
			return newHealth(v1alpha1.HealthStatusHealthy, "")
		}
		switch r.str(obj, "status", "jobManagerDeploymentStatus") {
		case "DEPLOYED_NOT_READY", "DEPLOYING":
			return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for deploying")
		case "ERROR":
			return newHealth(v1alpha1.HealthStatusDegraded, r.str(obj, "status", "reconciliationStatus", "error"))
		}
	}
	return newHealth(v1alpha1.HealthStatusProgressing, flinkWaiting)
}

func flinkSessionJobHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	failure, failed := r.optionalString(obj, "status", "error")
	if r.object(obj, "status", "jobStatus") != nil {
		state := r.str(obj, "status", "jobStatus", "state")
		switch state {
		case "RUNNING", "FINISHED":
			return newHealth(v1alpha1.HealthStatusHealthy, state)
		case "RECONCILING", "CREATED":
			return newHealth(v1alpha1.HealthStatusProgressing, state)
		case "SUSPENDED", "CANCELED":
			return newHealth(v1alpha1.HealthStatusSuspended, state)
		case "FAILED":
			if !failed {
				failure = "FlinkSessionJob failed"
			}
			return newHealth(v1alpha1.HealthStatusDegraded, failure)
		}
	}
	if failed {
		return newHealth(v1alpha1.HealthStatusDegraded, failure)
	}
	return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for FlinkSessionJob to be reconciled")
}

// flinkBlueGreenHealth reads the operator's reconciliation state first,
// then the blue-green state machine, then the job.
func flinkBlueGreenHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.object(obj, "status") == nil {
		return newHealth(v1alpha1.HealthStatusProgressing, flinkWaiting)
	}
	failure := r.str(obj, "status", "error")
	switch r.str(obj, "status", "reconciliationStatus", "state") {
	case "ROLLING_BACK":
		return newHealth(v1alpha1.HealthStatusProgressing, "Rolling back to last stable spec")
	case "ROLLED_BACK":
		if failure != "" {
			return newHealth(v1alpha1.HealthStatusDegraded, "Rolled back: "+failure)
		}
		return newHealth(v1alpha1.HealthStatusDegraded, "Deployment rolled back")
	}
	switch state := r.str(obj, "status", "blueGreenState"); state {
	case "ACTIVE_BLUE", "ACTIVE_GREEN":
		if r.str(obj, "status", "jobStatus", "state") == "RESTARTING" {
			return newHealth(v1alpha1.HealthStatusDegraded, "Job crash-looping (RESTARTING) in "+state)
		}
		if failure != "" {
			return newHealth(v1alpha1.HealthStatusHealthy, state+" (warning: "+failure+")")
		}
		return newHealth(v1alpha1.HealthStatusHealthy, state)
	case "INITIALIZING_BLUE":
		return newHealth(v1alpha1.HealthStatusProgressing, "Initializing blue deployment")
	case "TRANSITIONING_TO_BLUE":
		return newHealth(v1alpha1.HealthStatusProgressing, "Rolling back to blue deployment")
	case "TRANSITIONING_TO_GREEN":
		return newHealth(v1alpha1.HealthStatusProgressing, "Transitioning to green deployment")
	case "SAVEPOINTING_BLUE", "SAVEPOINTING_GREEN":
		return newHealth(v1alpha1.HealthStatusProgressing, "Taking savepoint: "+state)
	}
	if r.str(obj, "status", "jobStatus", "state") == "FAILED" {
		if failure != "" {
			return newHealth(v1alpha1.HealthStatusProgressing, "Job failed, operator recovering: "+failure)
		}
		return newHealth(v1alpha1.HealthStatusProgressing, "Job failed, operator recovering")
	}
	if failure != "" {
		return newHealth(v1alpha1.HealthStatusProgressing, "Operator processing: "+failure)
	}
	return newHealth(v1alpha1.HealthStatusProgressing, flinkWaiting)
}

// sparkChecks cover the Spark operator's applications.
var sparkChecks = kinds("sparkoperator.k8s.io", map[string]check{
	"SparkApplication": sparkApplicationHealth,
})

// sparkApplicationStates are the health of the application states other
// than RUNNING and the empty state.
var sparkApplicationStates = map[string]phaseHealth{
	"SUBMITTED":         {status: v1alpha1.HealthStatusProgressing, message: "SparkApplication was submitted successfully"},
	"COMPLETED":         {status: v1alpha1.HealthStatusHealthy, message: "SparkApplication was Completed"},
	"FAILED":            {status: v1alpha1.HealthStatusDegraded, messageField: []string{"status", "applicationState", "errorMessage"}},
	"SUBMISSION_FAILED": {status: v1alpha1.HealthStatusDegraded, messageField: []string{"status", "applicationState", "errorMessage"}},
	"FAILING":           {status: v1alpha1.HealthStatusDegraded, messageField: []string{"status", "applicationState", "errorMessage"}},
	"PENDING_RERUN":     {status: v1alpha1.HealthStatusProgressing, message: "SparkApplication is Pending Rerun"},
	"INVALIDATING":      {status: v1alpha1.HealthStatusMissing, message: "SparkApplication is in InvalidatingState"},
	"SUCCEEDING": {status: v1alpha1.HealthStatusProgressing, message: "The driver pod has been completed successfully. " +
		"The executor pods terminate and are cleaned up. Under this circumstances, we assume the executor pod are completed."},
	"UNKNOWN": {status: v1alpha1.HealthStatusProgressing,
		message: "SparkApplication is in UnknownState because either driver pod or one or all executor pods in unknown state"},
}

const sparkWaiting = "Waiting for Executor pods"

// sparkApplicationHealth maps the application state; a running application
// is Healthy once as many executors run as spec.executor.instances asks.
// An empty state gives no health, as Argo CD's script returns none.
func sparkApplicationHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	state, ok := r.optionalString(obj, "status", "applicationState", "state")
	if !ok {
		return newHealth(v1alpha1.HealthStatusProgressing, sparkWaiting)
	}
	switch state {
	case "":
		return nil
	case "RUNNING":
		executors := r.object(obj, "status", "executorState")
		instances, hasInstances := r.integer(obj, "spec", "executor", "instances")
		running := int64(0)
		for _, executorState := range executors {
			if executorState == "RUNNING" {
				running++
			}
		}
		if executors != nil && hasInstances && instances == running {
			return newHealth(v1alpha1.HealthStatusHealthy, "SparkApplication is Running")
		}
		return newHealth(v1alpha1.HealthStatusProgressing, sparkWaiting)
	}
	known, ok := sparkApplicationStates[state]
	if !ok {
		return newHealth(v1alpha1.HealthStatusProgressing, sparkWaiting)
	}
	if known.messageField != nil {
		return newHealth(known.status, r.str(obj, known.messageField...))
	}
	return newHealth(known.status, known.message)
}
