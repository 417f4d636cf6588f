package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// jobHealth is Argo CD's Job check, on the Job's terminal conditions: Failed
// is Degraded, Complete is Healthy, a true Suspended condition is Suspended,
// and a Job without any of them is still Progressing.
func jobHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	conditions := r.list(obj, "status", "conditions")
	if failed := r.findCondition(conditions, "Failed"); failed != nil {
		return newHealth(v1alpha1.HealthStatusDegraded, r.str(failed, "message"))
	}
	if complete := r.findCondition(conditions, "Complete"); complete != nil {
		return newHealth(v1alpha1.HealthStatusHealthy, r.str(complete, "message"))
	}
	if suspended := r.findCondition(conditions, "Suspended"); suspended != nil && r.str(suspended, "status") == conditionTrue {
		return newHealth(v1alpha1.HealthStatusSuspended, r.str(suspended, "message"))
	}
	return newHealth(v1alpha1.HealthStatusProgressing, "")
}

// cronJobHealth is Argo CD's built-in CronJob script. A suspended CronJob is
// Healthy, not Suspended: Argo CD's script keeps it so while a bug is open.
// The only Degraded case is a last run known to have failed: no job running
// and the last success older than the last schedule. The status times are
// RFC 3339 in UTC, so they compare as text, as the script does.
func cronJobHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.boolean(obj, "spec", "suspend") {
		return newHealth(v1alpha1.HealthStatusHealthy, "CronJob is suspended")
	}
	if r.object(obj, "status") == nil {
		return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for CronJob")
	}
	lastSchedule := r.str(obj, "status", "lastScheduleTime")
	if lastSchedule == "" {
		return newHealth(v1alpha1.HealthStatusHealthy, "CronJob has not been scheduled yet")
	}
	lastSuccess := r.str(obj, "status", "lastSuccessfulTime")
	if lastSuccess == "" {
		return newHealth(v1alpha1.HealthStatusHealthy, "The Cronjob never completed succesfully. It may not be healthy")
	}
	if len(r.list(obj, "status", "active")) > 0 {
		return newHealth(v1alpha1.HealthStatusHealthy, "The job is running. Its last execution may not have been successful")
	}
	if lastSuccess < lastSchedule {
		return newHealth(v1alpha1.HealthStatusDegraded, "CronJob has not completed its last execution successfully")
	}
	return newHealth(v1alpha1.HealthStatusHealthy, "CronJob has completed its last execution successfully")
}
