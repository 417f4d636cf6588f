package health

import (
	"testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestJobHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{
			name:    "a running Job is progressing",
			fixture: "job/running.yaml",
			status:  v1alpha1.HealthStatusProgressing,
		},
		{
			name:    "a failed Job is degraded with the failure message",
			fixture: "job/failed.yaml",
			status:  v1alpha1.HealthStatusDegraded, message: "Job has reached the specified backoff limit",
		},
		{
			name:    "a complete Job is healthy",
			fixture: "job/complete.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "Reached expected number of succeeded pods",
		},
		{
			name:    "a suspended Job is suspended",
			fixture: "job/suspended.yaml",
			status:  v1alpha1.HealthStatusSuspended, message: "Job suspended",
		},
		{
			name:    "a resumed Job is progressing again",
			fixture: "job/resumed.yaml",
			status:  v1alpha1.HealthStatusProgressing,
		},
	})
}

func TestCronJobHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{
			name:    "a suspended CronJob is healthy, as Argo CD's script keeps it",
			fixture: "cronjob/suspended.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "CronJob is suspended",
		},
		{
			name:    "a CronJob without status is progressing",
			fixture: "cronjob/no-status.yaml",
			status:  v1alpha1.HealthStatusProgressing, message: "Waiting for CronJob",
		},
		{
			name:    "a CronJob never scheduled is healthy",
			fixture: "cronjob/never-scheduled.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "CronJob has not been scheduled yet",
		},
		{
			name:    "a CronJob that never succeeded is healthy",
			fixture: "cronjob/never-succeeded.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "The Cronjob never completed succesfully. It may not be healthy",
		},
		{
			name:    "a CronJob with a running job is healthy",
			fixture: "cronjob/running.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "The job is running. Its last execution may not have been successful",
		},
		{
			name:    "a CronJob whose last run failed is degraded",
			fixture: "cronjob/last-run-failed.yaml",
			status:  v1alpha1.HealthStatusDegraded, message: "CronJob has not completed its last execution successfully",
		},
		{
			name:    "a CronJob whose last run succeeded is healthy",
			fixture: "cronjob/last-run-succeeded.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "CronJob has completed its last execution successfully",
		},
	})
}
