package application

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Reasons of the Events the controller records on Applications.
const (
	ReasonSyncStatusChanged   = "SyncStatusChanged"
	ReasonHealthStatusChanged = "HealthStatusChanged"
	ReasonOperationStarted    = "OperationStarted"
	ReasonOperationCompleted  = "OperationCompleted"
	ReasonOperationFailed     = "OperationFailed"
	ReasonDeletionHookFailed  = "DeletionHookFailed"
)

// recordStatusEvents records an Event for each status transition between old
// and the published sync and health status. The first status of an
// Application that was never compared is where it starts, not a change, and
// records none (Argo CD records "Updated sync status:  -> OutOfSync"): a new
// Application's Events start with what happened to it, and a cold sync of
// many Applications writes two Events fewer for each. A first comparison that
// fails is reported by its ComparisonError condition.
func (c *Controller) recordStatusEvents(app *v1alpha1.Application, old *v1alpha1.ApplicationStatus,
	syncStatus v1alpha1.SyncStatusCode, healthStatus v1alpha1.HealthStatusCode) {
	if c.options.Recorder == nil {
		return
	}
	if old.Sync.Status != "" && old.Sync.Status != syncStatus {
		c.options.Recorder.Event(app, corev1.EventTypeNormal, ReasonSyncStatusChanged,
			transitionMessage("Sync status", string(old.Sync.Status), string(syncStatus)))
	}
	if old.Health.Status != "" && old.Health.Status != healthStatus {
		c.options.Recorder.Event(app, corev1.EventTypeNormal, ReasonHealthStatusChanged,
			transitionMessage("Health status", string(old.Health.Status), string(healthStatus)))
	}
}

func transitionMessage(what, from, to string) string {
	return fmt.Sprintf("%s changed from %s to %s", what, from, to)
}

// recordOperationStarted records the start of an operation.
func (c *Controller) recordOperationStarted(app *v1alpha1.Application) {
	if c.options.Recorder == nil {
		return
	}
	c.options.Recorder.Event(app, corev1.EventTypeNormal, ReasonOperationStarted, "Sync operation started")
}

// recordOperationFinished records the outcome of an operation: a Normal
// Event when it succeeded, a Warning otherwise.
func (c *Controller) recordOperationFinished(app *v1alpha1.Application, phase v1alpha1.OperationPhase, message string) {
	if c.options.Recorder == nil {
		return
	}
	if phase == v1alpha1.OperationSucceeded {
		c.options.Recorder.Eventf(app, corev1.EventTypeNormal, ReasonOperationCompleted, "Sync operation succeeded: %s", message)
		return
	}
	c.options.Recorder.Eventf(app, corev1.EventTypeWarning, ReasonOperationFailed, "Sync operation %s: %s", phase, message)
}

// recordDeletionHooksFailed records a Warning when PreDelete or PostDelete
// hooks failed, holding the Application's deletion.
func (c *Controller) recordDeletionHooksFailed(app *v1alpha1.Application, message string) {
	if c.options.Recorder == nil {
		return
	}
	c.options.Recorder.Event(app, corev1.EventTypeWarning, ReasonDeletionHookFailed, message)
}
