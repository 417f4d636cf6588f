package applicationset

import (
	"context"
	"sort"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/plan"
	"capstan.dev/capstan/pkg/health"
)

// Condition messages, as Argo CD writes them.
const (
	messageParametersGenerated = "Successfully generated parameters for all Applications"
	messageUpToDate            = "All applications have been generated successfully"
)

// statusSummary is the part of an Application's status the ApplicationSet
// reports (and progressive syncs wait on).
func statusSummary(app *v1alpha1.Application) string {
	summary := string(app.Status.Sync.Status) + "/" + string(app.Status.Health.Status) + "/" + app.Status.Sync.Revision
	if state := app.Status.OperationState; state != nil {
		summary += "/" + string(state.Phase) + "/" + state.StartedAt.String()
	}
	if app.Operation != nil {
		summary += "/operation"
	}
	return summary
}

// writeStatus updates the ApplicationSet's status: the conditions of a
// reconcile's outcome (nil keeps them), and its Applications' sync and health.
func (c *Controller) writeStatus(ctx context.Context, appSet *v1alpha1.ApplicationSet, result *outcome) error {
	status := appSet.Status.DeepCopy()
	now := metav1.Now()
	if result != nil {
		setConditions(status, conditionsOf(*result), now)
	}
	owned, err := c.ownedApplications(appSet)
	if err != nil {
		return err
	}
	c.setResources(status, owned)
	if c.options.ProgressiveSyncs {
		c.setApplicationStatus(ctx, appSet, status, owned, now)
	}
	if equality.Semantic.DeepEqual(*status, appSet.Status) {
		return nil
	}
	updated := appSet.DeepCopy()
	updated.Status = *status
	_, err = c.client.CapstanV1alpha1().ApplicationSets(appSet.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: FieldManager})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// ownedApplications lists the Applications appSet controls, by name.
func (c *Controller) ownedApplications(appSet *v1alpha1.ApplicationSet) ([]*v1alpha1.Application, error) {
	apps, err := c.apps.Applications(appSet.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	owned := apps[:0:0]
	for _, app := range apps {
		if plan.OwnedBy(app, appSet) {
			owned = append(owned, app)
		}
	}
	sort.Slice(owned, func(i, j int) bool { return owned[i].Name < owned[j].Name })
	return owned, nil
}

// conditionsOf are the ErrorOccurred, ParametersGenerated and
// ResourcesUpToDate conditions of an outcome, as Argo CD sets them.
func conditionsOf(result outcome) []v1alpha1.ApplicationSetCondition {
	if result.err == nil {
		return []v1alpha1.ApplicationSetCondition{
			{Type: v1alpha1.ApplicationSetConditionErrorOccurred, Status: v1alpha1.ApplicationSetConditionStatusFalse,
				Reason: v1alpha1.ApplicationSetReasonApplicationSetUpToDate, Message: messageParametersGenerated},
			{Type: v1alpha1.ApplicationSetConditionParametersGenerated, Status: v1alpha1.ApplicationSetConditionStatusTrue,
				Reason: v1alpha1.ApplicationSetReasonParametersGenerated, Message: messageParametersGenerated},
			{Type: v1alpha1.ApplicationSetConditionResourcesUpToDate, Status: v1alpha1.ApplicationSetConditionStatusTrue,
				Reason: v1alpha1.ApplicationSetReasonApplicationSetUpToDate, Message: messageUpToDate},
		}
	}
	message := result.err.Error()
	generated := v1alpha1.ApplicationSetCondition{Type: v1alpha1.ApplicationSetConditionParametersGenerated,
		Status: v1alpha1.ApplicationSetConditionStatusTrue, Reason: v1alpha1.ApplicationSetReasonParametersGenerated, Message: messageParametersGenerated}
	if !result.parametersGenerated {
		generated = v1alpha1.ApplicationSetCondition{Type: v1alpha1.ApplicationSetConditionParametersGenerated,
			Status: v1alpha1.ApplicationSetConditionStatusFalse, Reason: v1alpha1.ApplicationSetReasonErrorOccurred, Message: message}
	}
	return []v1alpha1.ApplicationSetCondition{
		{Type: v1alpha1.ApplicationSetConditionErrorOccurred, Status: v1alpha1.ApplicationSetConditionStatusTrue, Reason: result.reason, Message: message},
		generated,
		{Type: v1alpha1.ApplicationSetConditionResourcesUpToDate, Status: v1alpha1.ApplicationSetConditionStatusFalse, Reason: result.reason, Message: message},
	}
}

// setConditions replaces the conditions of the given types, keeping the
// transition time of those whose status and reason did not change.
func setConditions(status *v1alpha1.ApplicationSetStatus, conditions []v1alpha1.ApplicationSetCondition, now metav1.Time) {
	for _, condition := range conditions {
		condition.LastTransitionTime = &now
		replaced := false
		for i, existing := range status.Conditions {
			if existing.Type != condition.Type {
				continue
			}
			if existing.Status == condition.Status && existing.Reason == condition.Reason && existing.LastTransitionTime != nil {
				condition.LastTransitionTime = existing.LastTransitionTime
			}
			status.Conditions[i], replaced = condition, true
		}
		if !replaced {
			status.Conditions = append(status.Conditions, condition)
		}
	}
}

// removeCondition drops the condition of a type.
func removeCondition(status *v1alpha1.ApplicationSetStatus, conditionType v1alpha1.ApplicationSetConditionType) {
	kept := status.Conditions[:0]
	for _, condition := range status.Conditions {
		if condition.Type != conditionType {
			kept = append(kept, condition)
		}
	}
	status.Conditions = kept
}

// setResources lists the generated Applications with their sync and health
// status, bounded by MaxResources, and the worst health among them.
func (c *Controller) setResources(status *v1alpha1.ApplicationSetStatus, owned []*v1alpha1.Application) {
	status.ResourcesCount = int64(len(owned))
	status.Resources = nil
	worst := v1alpha1.HealthStatusHealthy
	for i, app := range owned {
		if health.IsWorse(worst, app.Status.Health.Status) {
			worst = app.Status.Health.Status
		}
		if i >= c.options.MaxResources {
			continue
		}
		resource := v1alpha1.ResourceStatus{
			Group: v1alpha1.SchemeGroupVersion.Group, Version: v1alpha1.SchemeGroupVersion.Version, Kind: "Application",
			Namespace: app.Namespace, Name: app.Name, Status: app.Status.Sync.Status,
		}
		if app.Status.Health.Status != "" {
			resource.Health = &v1alpha1.HealthStatus{Status: app.Status.Health.Status, Message: app.Status.Health.Message}
		}
		status.Resources = append(status.Resources, resource)
	}
	status.Health = v1alpha1.HealthStatus{}
	if len(owned) > 0 {
		status.Health.Status = worst
	}
}
