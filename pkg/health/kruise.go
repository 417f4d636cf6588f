package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// kruiseChecks cover OpenKruise's workloads and jobs.
var kruiseChecks = kinds("apps.kruise.io", map[string]check{
	"CloneSet":        cloneSetHealth,
	"StatefulSet":     kruiseStatefulSetHealth,
	"DaemonSet":       kruiseDaemonSetHealth,
	"BroadcastJob":    broadcastJobHealth,
	"AdvancedCronJob": advancedCronJobHealth,
})

const kruiseWaiting = "Waiting for initialization"

// generationEqual tells whether status.observedGeneration equals
// metadata.generation (both absent counts as equal, as in Argo CD's scripts).
func generationEqual(r *fieldReader, obj map[string]any) bool {
	generation, hasGeneration := r.integer(obj, "metadata", "generation")
	observed, hasObserved := r.integer(obj, "status", "observedGeneration")
	return hasGeneration == hasObserved && generation == observed
}

// kruiseWorkload is the shared shape of the Kruise workload checks: paused
// (or not reporting updated replicas yet) is Suspended; a partitioned
// update past generation 1 is Suspended once the partition is reached;
// otherwise all updated replicas available is Healthy, fewer Degraded.
type kruiseWorkload struct {
	noun                        string
	paused                      bool
	reportsUpdated              bool
	partition                   int64
	partitionReached            bool
	ready                       bool
	degraded                    bool
	healthyMessage, degradedMsg string
}

func (w kruiseWorkload) health(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.object(obj, "status") == nil || !generationEqual(r, obj) {
		return newHealth(v1alpha1.HealthStatusProgressing, kruiseWaiting)
	}
	generation, _ := r.integer(obj, "metadata", "generation")
	switch {
	case w.paused || !w.reportsUpdated:
		return newHealth(v1alpha1.HealthStatusSuspended, w.noun+" is paused")
	case w.partition != 0 && generation > 1:
		if w.partitionReached {
			return newHealth(v1alpha1.HealthStatusSuspended, w.noun+" needs manual intervention")
		}
	case w.ready:
		return newHealth(v1alpha1.HealthStatusHealthy, w.healthyMessage)
	case w.degraded:
		return newHealth(v1alpha1.HealthStatusDegraded, w.degradedMsg)
	}
	return newHealth(v1alpha1.HealthStatusProgressing, kruiseWaiting)
}

func cloneSetHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	updatedAvailable, reports := r.integer(obj, "status", "updatedAvailableReplicas")
	replicas, _ := r.integer(obj, "status", "replicas")
	updated, _ := r.integer(obj, "status", "updatedReplicas")
	expected, _ := r.integer(obj, "status", "expectedUpdatedReplicas")
	return kruiseWorkload{
		noun: "Cloneset", paused: r.boolean(obj, "spec", "updateStrategy", "paused"), reportsUpdated: reports,
		partition: partitionOf(r, obj, "spec", "updateStrategy", "partition"), partitionReached: updated >= expected,
		ready: updatedAvailable == replicas, degraded: true,
		healthyMessage: "All Cloneset workloads are ready and updated", degradedMsg: "Some replicas are not ready or available",
	}.health(r, obj)
}

func kruiseStatefulSetHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	updatedAvailable, reports := r.integer(obj, "status", "updatedAvailableReplicas")
	replicas, _ := r.integer(obj, "status", "replicas")
	updated, _ := r.integer(obj, "status", "updatedReplicas")
	partition := partitionOf(r, obj, "spec", "updateStrategy", "rollingUpdate", "partition")
	return kruiseWorkload{
		noun: "Statefulset", paused: r.boolean(obj, "spec", "updateStrategy", "rollingUpdate", "paused"), reportsUpdated: reports,
		partition: partition, partitionReached: updated > replicas-partition,
		ready: updatedAvailable == replicas, degraded: true,
		healthyMessage: "All Statefulset workloads are ready and updated", degradedMsg: "Some replicas are not ready or available",
	}.health(r, obj)
}

func kruiseDaemonSetHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	updated, reports := r.integer(obj, "status", "updatedNumberScheduled")
	desired, _ := r.integer(obj, "status", "desiredNumberScheduled")
	available, _ := r.integer(obj, "status", "numberAvailable")
	unavailable, _ := r.integer(obj, "status", "numberUnavailable")
	partition := partitionOf(r, obj, "spec", "updateStrategy", "rollingUpdate", "partition")
	return kruiseWorkload{
		noun: "Daemonset", paused: r.boolean(obj, "spec", "updateStrategy", "rollingUpdate", "paused"), reportsUpdated: reports,
		partition: partition, partitionReached: updated > desired-partition,
		ready: updated == desired && available == desired, degraded: updated == desired && unavailable == desired,
		healthyMessage: "All Daemonset workloads are ready and updated", degradedMsg: "Some pods are not ready or available",
	}.health(r, obj)
}

// partitionOf reads an update partition; a percentage or a missing value
// counts as none.
func partitionOf(r *fieldReader, obj map[string]any, path ...string) int64 {
	value, ok := r.lookup(obj, path...)
	if !ok {
		return 0
	}
	if _, isText := value.(string); isText {
		return 0
	}
	partition, _ := r.integer(obj, path...)
	return partition
}

func broadcastJobHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	running := newHealth(v1alpha1.HealthStatusProgressing, "BroadcastJob is still running")
	if r.object(obj, "status") == nil {
		return running
	}
	phase := r.str(obj, "status", "phase")
	desired, _ := r.integer(obj, "status", "desired")
	succeeded, _ := r.integer(obj, "status", "succeeded")
	failed, _ := r.integer(obj, "status", "failed")
	switch {
	case phase == "completed" && desired == succeeded:
		return newHealth(v1alpha1.HealthStatusHealthy, "BroadcastJob is completed successfully")
	case phase == "failed" && failed != 0:
		return newHealth(v1alpha1.HealthStatusDegraded, "BroadcastJob failed")
	case phase == "paused" && r.boolean(obj, "spec", "paused"):
		return newHealth(v1alpha1.HealthStatusSuspended, "BroadcastJob is Paused")
	}
	return running
}

func advancedCronJobHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	scheduled := r.str(obj, "status", "lastScheduleTime") != ""
	switch {
	case !scheduled && r.boolean(obj, "spec", "paused"):
		return newHealth(v1alpha1.HealthStatusSuspended, "AdvancedCronJob is Paused")
	case len(r.list(obj, "status", "active")) > 0:
		return newHealth(v1alpha1.HealthStatusProgressing, "AdvancedCronJobs has active jobs")
	case !scheduled:
		return newHealth(v1alpha1.HealthStatusDegraded, "AdvancedCronJobs has not run successfully")
	}
	return newHealth(v1alpha1.HealthStatusHealthy, "AdvancedCronJobs has run successfully")
}
