package applicationset

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/plan"
)

// Progressive syncs (Argo CD's RollingSync strategy, behind
// --enable-progressive-syncs): generated Applications are written without
// automated sync, and the controller syncs them step by step by setting
// their operation, a step starting when every Application of the steps
// before it is Healthy. status.applicationStatus tracks each Application
// through Waiting, Pending (sync requested), Progressing (sync running) and
// Healthy; condition RolloutProgressing says whether a rollout is under way.

// rolloutInitiator is who the syncs of a rollout are initiated by.
const rolloutInitiator = "applicationset-controller"

// Messages of status.applicationStatus, as Argo CD writes them.
const (
	messageWaitingInitial  = "No Application status found, defaulting status to Waiting."
	messageWaitingChanges  = "Application has pending changes, setting status to Waiting."
	messagePending         = "Application moved to Pending status, watching for the Application resource to start Progressing."
	messageProgressing     = "Application resource became Progressing, updating status from Pending to Progressing."
	messageHealthy         = "Application resource became Healthy, updating status from Progressing to Healthy."
	messageAlreadyHealthy  = "Application resource is already Healthy, updating status from Waiting to Healthy."
	messageRolloutStarted  = "ApplicationSet Rollout Rollout started"
	messageRolloutComplete = "ApplicationSet Rollout Rollout complete"
)

// rollingSync tells whether appSet runs a RollingSync strategy.
func rollingSync(appSet *v1alpha1.ApplicationSet) bool {
	return appSet.Spec.Strategy != nil && appSet.Spec.Strategy.Type == v1alpha1.ApplicationSetStrategyTypeRollingSync
}

// holdAutoSync removes automated sync from the Applications a RollingSync
// ApplicationSet writes, so that only the rollout syncs them; an update
// that then changes nothing is dropped.
func (c *Controller) holdAutoSync(appSet *v1alpha1.ApplicationSet, changes []plan.Change) []plan.Change {
	if !rollingSync(appSet) {
		return changes
	}
	held := changes[:0:0]
	for _, change := range changes {
		switch change.Action {
		case plan.Create:
			change.Desired = withoutAutomated(change.Desired)
		case plan.Update:
			change.Written = managedWithoutAutomated(change.Written)
			if change.Live != nil {
				if live, err := plan.ManagedOf(change.Live); err == nil && equalJSON(live, change.Written) {
					continue
				}
			}
		}
		held = append(held, change)
	}
	return held
}

func withoutAutomated(app *v1alpha1.Application) *v1alpha1.Application {
	if app == nil || app.Spec.SyncPolicy == nil || app.Spec.SyncPolicy.Automated == nil {
		return app
	}
	app = app.DeepCopy()
	app.Spec.SyncPolicy.Automated = nil
	return app
}

// managedWithoutAutomated drops spec.syncPolicy.automated from a managed
// part, leaving syncPolicy out when nothing else is in it.
func managedWithoutAutomated(managed plan.Managed) plan.Managed {
	spec, _ := managed["spec"].(map[string]any)
	policy, _ := spec["syncPolicy"].(map[string]any)
	if _, ok := policy["automated"]; !ok {
		return managed
	}
	copied := plan.Managed{}
	for key, value := range managed {
		copied[key] = value
	}
	newSpec := map[string]any{}
	for key, value := range spec {
		newSpec[key] = value
	}
	newPolicy := map[string]any{}
	for key, value := range policy {
		if key != "automated" {
			newPolicy[key] = value
		}
	}
	if len(newPolicy) == 0 {
		delete(newSpec, "syncPolicy")
	} else {
		newSpec["syncPolicy"] = newPolicy
	}
	copied["spec"] = newSpec
	return copied
}

// equalJSON compares two values by their JSON.
func equalJSON(a, b any) bool {
	left, errLeft := json.Marshal(a)
	right, errRight := json.Marshal(b)
	return errLeft == nil && errRight == nil && string(left) == string(right)
}

// setApplicationStatus advances a RollingSync: it updates
// status.applicationStatus and RolloutProgressing from the Applications,
// and requests a sync of those the rollout moves to Pending.
func (c *Controller) setApplicationStatus(ctx context.Context, appSet *v1alpha1.ApplicationSet, status *v1alpha1.ApplicationSetStatus,
	owned []*v1alpha1.Application, now metav1.Time) {
	if !rollingSync(appSet) {
		status.ApplicationStatus = nil
		removeCondition(status, v1alpha1.ApplicationSetConditionRolloutProgressing)
		removeCondition(status, v1alpha1.ApplicationSetConditionInvalidRolloutConfig)
		return
	}
	var steps []v1alpha1.ApplicationSetRolloutStep
	if appSet.Spec.Strategy.RollingSync != nil {
		steps = appSet.Spec.Strategy.RollingSync.Steps
	}
	if err := validSteps(steps); err != nil {
		setConditions(status, []v1alpha1.ApplicationSetCondition{{Type: v1alpha1.ApplicationSetConditionInvalidRolloutConfig,
			Status: v1alpha1.ApplicationSetConditionStatusTrue, Reason: v1alpha1.ApplicationSetReasonErrorOccurred, Message: err.Error()}}, now)
		return
	}
	removeCondition(status, v1alpha1.ApplicationSetConditionInvalidRolloutConfig)
	statuses, toSync := rollout(steps, owned, status.ApplicationStatus, now)
	prune := false
	if policy := appSet.Spec.Template.Spec.SyncPolicy; policy != nil && policy.Automated != nil {
		prune = policy.Automated.Prune
	}
	byName := map[string]*v1alpha1.Application{}
	for _, app := range owned {
		byName[app.Name] = app
	}
	for _, name := range toSync {
		if err := c.requestSync(ctx, byName[name], prune); err != nil {
			// The Application stays Waiting and is tried again.
			klog.FromContext(ctx).Info("RollingSync could not start a sync", "application", name, "err", err)
			c.options.Recorder.Eventf(appSet, corev1.EventTypeWarning, v1alpha1.ApplicationSetReasonSyncApplicationError,
				"RollingSync could not sync Application %q: %v", name, err)
			for i := range statuses {
				if statuses[i].Application == name {
					statuses[i] = previousOrWaiting(status.ApplicationStatus, name, statuses[i], now)
				}
			}
		}
	}
	status.ApplicationStatus = statuses
	progressing := v1alpha1.ApplicationSetCondition{Type: v1alpha1.ApplicationSetConditionRolloutProgressing,
		Status: v1alpha1.ApplicationSetConditionStatusFalse, Reason: v1alpha1.ApplicationSetReasonApplicationSetRolloutComplete, Message: messageRolloutComplete}
	for _, s := range statuses {
		if s.Status != v1alpha1.ProgressiveSyncHealthy {
			progressing.Status, progressing.Reason, progressing.Message = v1alpha1.ApplicationSetConditionStatusTrue,
				v1alpha1.ApplicationSetReasonApplicationSetModified, messageRolloutStarted
			break
		}
	}
	setConditions(status, []v1alpha1.ApplicationSetCondition{progressing}, now)
}

// previousOrWaiting is the status an Application had before this pass
// (Waiting when it had none), after its sync could not be requested.
func previousOrWaiting(previous []v1alpha1.ApplicationSetApplicationStatus, name string, current v1alpha1.ApplicationSetApplicationStatus,
	now metav1.Time) v1alpha1.ApplicationSetApplicationStatus {
	for _, s := range previous {
		if s.Application == name {
			return s
		}
	}
	current.Status, current.Message, current.LastTransitionTime = v1alpha1.ProgressiveSyncWaiting, messageWaitingInitial, &now
	return current
}

// requestSync sets the Application's operation to a sync, as Argo CD's
// RollingSync does.
func (c *Controller) requestSync(ctx context.Context, app *v1alpha1.Application, prune bool) error {
	if app == nil {
		return fmt.Errorf("the Application is gone")
	}
	operation := v1alpha1.Operation{
		InitiatedBy: v1alpha1.OperationInitiator{Username: rolloutInitiator, Automated: true},
		Info:        []*v1alpha1.Info{{Name: "Reason", Value: "ApplicationSet RollingSync triggered a sync of this Application resource."}},
		Sync:        &v1alpha1.SyncOperation{Prune: prune},
	}
	patch, err := json.Marshal(map[string]any{
		"metadata":  map[string]any{"resourceVersion": app.ResourceVersion},
		"operation": operation,
	})
	if err != nil {
		return err
	}
	_, err = c.client.CapstanV1alpha1().Applications(app.Namespace).Patch(ctx, app.Name, mergePatch, patch, patchOptions())
	if apierrors.IsConflict(err) {
		return fmt.Errorf("the Application changed meanwhile")
	}
	return err
}

// validSteps refuses match expressions Argo CD does not run.
func validSteps(steps []v1alpha1.ApplicationSetRolloutStep) error {
	for i, step := range steps {
		for j, expression := range step.MatchExpressions {
			switch expression.Operator {
			case v1alpha1.ApplicationMatchOperatorIn, v1alpha1.ApplicationMatchOperatorNotIn:
			default:
				return fmt.Errorf("strategy.rollingSync.steps[%d].matchExpressions[%d]: operator %q is not In or NotIn", i, j, expression.Operator)
			}
		}
		if step.MaxUpdate != nil {
			if _, err := intstr.GetScaledValueFromIntOrPercent(step.MaxUpdate, 100, false); err != nil {
				return fmt.Errorf("strategy.rollingSync.steps[%d].maxUpdate: %w", i, err)
			}
		}
	}
	return nil
}

// stepOf is the index of the first step whose expressions all match the
// Application's labels, -1 for none (such Applications are left out of the
// rollout and synced by hand, as in Argo CD).
func stepOf(steps []v1alpha1.ApplicationSetRolloutStep, app *v1alpha1.Application) int {
	for i, step := range steps {
		matches := true
		for _, expression := range step.MatchExpressions {
			value, ok := app.Labels[expression.Key]
			in := ok && slices.Contains(expression.Values, value)
			if expression.Operator == v1alpha1.ApplicationMatchOperatorIn && !in ||
				expression.Operator == v1alpha1.ApplicationMatchOperatorNotIn && in {
				matches = false
				break
			}
		}
		if matches {
			return i
		}
	}
	return -1
}

// maxUpdate is how many Applications of a step of size may sync at once:
// all when unset, a number, or a percentage rounded down but at least one;
// zero means all, as in Argo CD.
func maxUpdate(step v1alpha1.ApplicationSetRolloutStep, size int) int {
	if step.MaxUpdate == nil {
		return size
	}
	value, err := intstr.GetScaledValueFromIntOrPercent(step.MaxUpdate, size, false)
	if err != nil || value <= 0 && step.MaxUpdate.Type == intstr.Int {
		return size
	}
	return max(value, 1)
}

// rollout is one pass of the RollingSync state machine over the owned
// Applications: each moves along Waiting → Pending → Progressing → Healthy
// (and back to Waiting when it goes OutOfSync again); the Waiting
// Applications of the first step not yet Healthy move to Pending, at most
// maxUpdate of the step at a time. It returns the new statuses (in
// Application name order) and the Applications to sync.
func rollout(steps []v1alpha1.ApplicationSetRolloutStep, owned []*v1alpha1.Application,
	previous []v1alpha1.ApplicationSetApplicationStatus, now metav1.Time) ([]v1alpha1.ApplicationSetApplicationStatus, []string) {
	before := map[string]v1alpha1.ApplicationSetApplicationStatus{}
	for _, s := range previous {
		before[s.Application] = s
	}
	members := make([][]int, len(steps))
	var statuses []v1alpha1.ApplicationSetApplicationStatus
	for _, app := range owned {
		step := stepOf(steps, app)
		if step < 0 {
			continue
		}
		next := advance(app, before[app.Name], now)
		next.Application, next.Step = app.Name, strconv.Itoa(step+1)
		if next.TargetRevisions == nil {
			next.TargetRevisions = []string{}
		}
		members[step] = append(members[step], len(statuses))
		statuses = append(statuses, next)
	}
	var toSync []string
	for step, indexes := range members {
		budget := maxUpdate(steps[step], len(indexes))
		for _, i := range indexes {
			if s := statuses[i].Status; s == v1alpha1.ProgressiveSyncPending || s == v1alpha1.ProgressiveSyncProgressing {
				budget--
			}
		}
		for _, i := range indexes {
			if budget <= 0 {
				break
			}
			if statuses[i].Status == v1alpha1.ProgressiveSyncWaiting {
				statuses[i] = transition(statuses[i], v1alpha1.ProgressiveSyncPending, messagePending, now)
				toSync = append(toSync, statuses[i].Application)
				budget--
			}
		}
		complete := true
		for _, i := range indexes {
			if statuses[i].Status != v1alpha1.ProgressiveSyncHealthy {
				complete = false
			}
		}
		if !complete {
			break // later steps wait for this one to be Healthy
		}
	}
	return statuses, toSync
}

// advance is the status of one Application after what it did since the
// last pass: as many moves as what it did allows, as in Argo CD, where an
// Application whose sync has already ended Healthy goes from Pending through
// Progressing to Healthy in one pass. (One write can tell all of it: the
// Application controller records an operation's end with the comparison
// that follows, and no later event may come to take the next move.)
func advance(app *v1alpha1.Application, last v1alpha1.ApplicationSetApplicationStatus, now metav1.Time) v1alpha1.ApplicationSetApplicationStatus {
	for range 4 {
		next := advanceOnce(app, last, now)
		if next.Status == last.Status {
			return next
		}
		last = next
	}
	return last
}

// advanceOnce is one move of advance.
func advanceOnce(app *v1alpha1.Application, last v1alpha1.ApplicationSetApplicationStatus, now metav1.Time) v1alpha1.ApplicationSetApplicationStatus {
	synced := app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced
	healthy := app.Status.Health.Status == v1alpha1.HealthStatusHealthy
	state := app.Status.OperationState
	running := app.Operation != nil || state != nil && state.Phase == v1alpha1.OperationRunning
	startedSince := state != nil && last.LastTransitionTime != nil && !state.StartedAt.Before(last.LastTransitionTime)
	// A sync that started before the Application moved to Pending but
	// ended after it (the rollout's operation replaced one still running,
	// which the Application controller then finished under its own start
	// time) leaves the Application synced: it counts as progress too.
	finishedSince := state != nil && state.FinishedAt != nil && last.LastTransitionTime != nil &&
		!state.FinishedAt.Before(last.LastTransitionTime) && synced && healthy
	switch last.Status {
	case "":
		if synced && healthy {
			return transition(last, v1alpha1.ProgressiveSyncHealthy, messageAlreadyHealthy, now)
		}
		return transition(last, v1alpha1.ProgressiveSyncWaiting, messageWaitingInitial, now)
	case v1alpha1.ProgressiveSyncWaiting:
		if synced && healthy {
			return transition(last, v1alpha1.ProgressiveSyncHealthy, messageAlreadyHealthy, now)
		}
	case v1alpha1.ProgressiveSyncPending:
		if running || startedSince || finishedSince {
			return transition(last, v1alpha1.ProgressiveSyncProgressing, messageProgressing, now)
		}
	case v1alpha1.ProgressiveSyncProgressing:
		if !running && synced && healthy {
			return transition(last, v1alpha1.ProgressiveSyncHealthy, messageHealthy, now)
		}
	case v1alpha1.ProgressiveSyncHealthy:
		if !synced {
			return transition(last, v1alpha1.ProgressiveSyncWaiting, messageWaitingChanges, now)
		}
	}
	return last
}

// transition moves a status to another state, stamping the time.
func transition(s v1alpha1.ApplicationSetApplicationStatus, to, message string, now metav1.Time) v1alpha1.ApplicationSetApplicationStatus {
	s.Status, s.Message, s.LastTransitionTime = to, message, &now
	return s
}
