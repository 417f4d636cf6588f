package health

import (
	"fmt"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Kubernetes field values the workload checks compare with.
const (
	strategyRollingUpdate = "RollingUpdate"
	strategyOnDelete      = "OnDelete"
	conditionTrue         = "True"
)

// deploymentHealth is Argo CD's Deployment check: paused is Suspended; once
// the generation is observed, an exceeded progress deadline is Degraded and an
// unfinished rollout is Progressing.
func deploymentHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.boolean(obj, "spec", "paused") {
		return newHealth(v1alpha1.HealthStatusSuspended, "Deployment is paused")
	}
	if !generationObserved(r, obj) {
		return newHealth(v1alpha1.HealthStatusProgressing,
			"Waiting for rollout to finish: observed deployment generation less than desired generation")
	}
	progressing := r.findCondition(r.list(obj, "status", "conditions"), "Progressing")
	desired, hasDesired := r.integer(obj, "spec", "replicas")
	replicas, _ := r.integer(obj, "status", "replicas")
	updated, _ := r.integer(obj, "status", "updatedReplicas")
	available, _ := r.integer(obj, "status", "availableReplicas")
	switch {
	case progressing != nil && r.str(progressing, "reason") == "ProgressDeadlineExceeded":
		return newHealth(v1alpha1.HealthStatusDegraded,
			fmt.Sprintf("Deployment %q exceeded its progress deadline", r.str(obj, "metadata", "name")))
	case hasDesired && updated < desired:
		return newHealth(v1alpha1.HealthStatusProgressing,
			fmt.Sprintf("Waiting for rollout to finish: %d out of %d new replicas have been updated...", updated, desired))
	case replicas > updated:
		return newHealth(v1alpha1.HealthStatusProgressing,
			fmt.Sprintf("Waiting for rollout to finish: %d old replicas are pending termination...", replicas-updated))
	case available < updated:
		return newHealth(v1alpha1.HealthStatusProgressing,
			fmt.Sprintf("Waiting for rollout to finish: %d of %d updated replicas are available...", available, updated))
	}
	return newHealth(v1alpha1.HealthStatusHealthy, "")
}

// statefulSetHealth is Argo CD's StatefulSet check, after kubectl rollout
// status: a partitioned rolling update is done when the pods above the
// partition are updated, OnDelete is healthy once pods are ready, and
// otherwise the update revision must become the current one.
func statefulSetHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	generation, _ := r.integer(obj, "metadata", "generation")
	observedGeneration, _ := r.integer(obj, "status", "observedGeneration")
	if observedGeneration == 0 || generation > observedGeneration {
		return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for statefulset spec update to be observed...")
	}
	desired, hasDesired := r.integer(obj, "spec", "replicas")
	ready, _ := r.integer(obj, "status", "readyReplicas")
	if hasDesired && ready < desired {
		return newHealth(v1alpha1.HealthStatusProgressing,
			fmt.Sprintf("Waiting for %d pods to be ready...", desired-ready))
	}
	updated, _ := r.integer(obj, "status", "updatedReplicas")
	strategy := r.str(obj, "spec", "updateStrategy", "type")
	if rollingUpdate := r.object(obj, "spec", "updateStrategy", "rollingUpdate"); strategy == strategyRollingUpdate && rollingUpdate != nil {
		partition, hasPartition := r.integer(rollingUpdate, "partition")
		if hasDesired && hasPartition && updated < desired-partition {
			return newHealth(v1alpha1.HealthStatusProgressing,
				fmt.Sprintf("Waiting for partitioned roll out to finish: %d out of %d new pods have been updated...",
					updated, desired-partition))
		}
		return newHealth(v1alpha1.HealthStatusHealthy,
			fmt.Sprintf("partitioned roll out complete: %d new pods have been updated...", updated))
	}
	if strategy == strategyOnDelete {
		return newHealth(v1alpha1.HealthStatusHealthy, fmt.Sprintf("statefulset has %d ready pods", ready))
	}
	updateRevision := r.str(obj, "status", "updateRevision")
	currentRevision := r.str(obj, "status", "currentRevision")
	if updateRevision != currentRevision {
		return newHealth(v1alpha1.HealthStatusProgressing,
			fmt.Sprintf("waiting for statefulset rolling update to complete %d pods at revision %s...", updated, updateRevision))
	}
	current, _ := r.integer(obj, "status", "currentReplicas")
	return newHealth(v1alpha1.HealthStatusHealthy,
		fmt.Sprintf("statefulset rolling update complete %d pods at revision %s...", current, currentRevision))
}

// daemonSetHealth is Argo CD's DaemonSet check: OnDelete is healthy once the
// generation is observed, otherwise every scheduled pod must be updated and
// available.
func daemonSetHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if !generationObserved(r, obj) {
		return newHealth(v1alpha1.HealthStatusProgressing,
			"Waiting for rollout to finish: observed daemon set generation less than desired generation")
	}
	desired, _ := r.integer(obj, "status", "desiredNumberScheduled")
	updated, _ := r.integer(obj, "status", "updatedNumberScheduled")
	if r.str(obj, "spec", "updateStrategy", "type") == strategyOnDelete {
		return newHealth(v1alpha1.HealthStatusHealthy,
			fmt.Sprintf("daemon set %d out of %d new pods have been updated", updated, desired))
	}
	name := r.str(obj, "metadata", "name")
	if updated < desired {
		return newHealth(v1alpha1.HealthStatusProgressing,
			fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d out of %d new pods have been updated...", name, updated, desired))
	}
	available, _ := r.integer(obj, "status", "numberAvailable")
	if available < desired {
		return newHealth(v1alpha1.HealthStatusProgressing,
			fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d of %d updated pods are available...", name, available, desired))
	}
	return newHealth(v1alpha1.HealthStatusHealthy, "")
}

// replicaSetHealth is Argo CD's ReplicaSet check: once the generation is
// observed, a true ReplicaFailure condition is Degraded and missing available
// replicas are Progressing.
func replicaSetHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if !generationObserved(r, obj) {
		return newHealth(v1alpha1.HealthStatusProgressing,
			"Waiting for rollout to finish: observed replica set generation less than desired generation")
	}
	failure := r.findCondition(r.list(obj, "status", "conditions"), "ReplicaFailure")
	if failure != nil && r.str(failure, "status") == conditionTrue {
		return newHealth(v1alpha1.HealthStatusDegraded, r.str(failure, "message"))
	}
	desired, hasDesired := r.integer(obj, "spec", "replicas")
	available, _ := r.integer(obj, "status", "availableReplicas")
	if hasDesired && available < desired {
		return newHealth(v1alpha1.HealthStatusProgressing,
			fmt.Sprintf("Waiting for rollout to finish: %d out of %d new replicas are available...", available, desired))
	}
	return newHealth(v1alpha1.HealthStatusHealthy, "")
}

// generationObserved reports whether the controller has observed the latest
// spec: metadata.generation is at most status.observedGeneration.
func generationObserved(r *fieldReader, obj map[string]any) bool {
	generation, _ := r.integer(obj, "metadata", "generation")
	observedGeneration, _ := r.integer(obj, "status", "observedGeneration")
	return generation <= observedGeneration
}
