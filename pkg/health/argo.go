package health

import (
	"strconv"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// workflowHealth is Argo CD's Argo Workflow check, on the workflow's phase.
func workflowHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	message := r.str(obj, "status", "message")
	switch r.str(obj, "status", "phase") {
	case "", "Pending", "Running":
		return newHealth(v1alpha1.HealthStatusProgressing, message)
	case "Succeeded":
		return newHealth(v1alpha1.HealthStatusHealthy, message)
	case "Failed", "Error":
		return newHealth(v1alpha1.HealthStatusDegraded, message)
	}
	return newHealth(v1alpha1.HealthStatusUnknown, message)
}

// Messages of the Argo Rollout check.
const (
	rolloutNotObserved = "Waiting for rollout spec update to be observed"
	rolloutPaused      = "Rollout is paused"
)

// rolloutHealth is Argo CD's built-in Argo Rollout script: generation not yet
// observed is Progressing; an invalid spec, an abort or an exceeded progress
// deadline is Degraded; a paused rollout is Suspended; then replica counts,
// and per strategy the blue-green service cutover or the canary steps.
func rolloutHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.object(obj, "status") == nil {
		return newHealth(v1alpha1.HealthStatusProgressing, rolloutNotObserved)
	}
	observed, hasObserved := rolloutObservedGeneration(r, obj)
	if !hasObserved {
		return newHealth(v1alpha1.HealthStatusProgressing, rolloutNotObserved)
	}
	if generation, _ := r.integer(obj, "metadata", "generation"); observed >= 0 && observed != generation {
		return newHealth(v1alpha1.HealthStatusProgressing, rolloutNotObserved)
	}
	for _, item := range r.list(obj, "status", "conditions") {
		condition, _ := item.(map[string]any)
		conditionType, reason := r.str(condition, "type"), r.str(condition, "reason")
		if conditionType == "InvalidSpec" ||
			conditionType == "Progressing" && (reason == "RolloutAborted" || reason == "ProgressDeadlineExceeded") {
			return newHealth(v1alpha1.HealthStatusDegraded, r.str(condition, "message"))
		}
	}
	if r.str(obj, "status", "phase") == "Paused" || len(r.list(obj, "status", "pauseConditions")) > 0 || r.boolean(obj, "spec", "paused") {
		return newHealth(v1alpha1.HealthStatusSuspended, rolloutPaused)
	}
	currentPodHash := r.str(obj, "status", "currentPodHash")
	if currentPodHash == "" {
		return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for rollout to finish: status has not been reconciled.")
	}
	desired, hasDesired := r.integer(obj, "spec", "replicas")
	if !hasDesired {
		desired = 1
	}
	replicas, _ := r.integer(obj, "status", "replicas")
	updated, _ := r.integer(obj, "status", "updatedReplicas")
	available, _ := r.integer(obj, "status", "availableReplicas")
	if updated < desired {
		return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for roll out to finish: More replicas need to be updated")
	}
	if available < updated {
		return newHealth(v1alpha1.HealthStatusProgressing,
			"Waiting for roll out to finish: updated replicas are still becoming available")
	}
	stableRS := r.str(obj, "status", "stableRS")
	if stableRS == "" {
		stableRS = r.str(obj, "status", "canary", "stableRS")
	}
	switch {
	case r.object(obj, "spec", "strategy", "blueGreen") != nil:
		if r.str(obj, "status", "blueGreen", "activeSelector") != currentPodHash {
			return newHealth(v1alpha1.HealthStatusProgressing, "active service cutover pending")
		}
		if stableRS != "" && stableRS != currentPodHash {
			return newHealth(v1alpha1.HealthStatusProgressing, "waiting for analysis to complete")
		}
	case r.object(obj, "spec", "strategy", "canary") != nil:
		if replicas > updated {
			return newHealth(v1alpha1.HealthStatusProgressing,
				"Waiting for roll out to finish: old replicas are pending termination")
		}
		if stableRS != currentPodHash {
			return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for rollout to finish steps")
		}
	}
	return newHealth(v1alpha1.HealthStatusHealthy, "")
}

// rolloutObservedGeneration reads status.observedGeneration, which is a number
// in current Argo Rollouts and a pod-template hash string before v1.0. It
// returns -1 for a hash, which cannot be compared with the generation, and
// false when the field is absent.
func rolloutObservedGeneration(r *fieldReader, obj map[string]any) (int64, bool) {
	value, ok := r.lookup(obj, "status", "observedGeneration")
	if !ok {
		return 0, false
	}
	if text, isText := value.(string); isText {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, true
		}
		return -1, true
	}
	return r.integer(obj, "status", "observedGeneration")
}

// argoChecks cover the Argo projects' kinds besides Workflows and Rollouts,
// and Capstan's own ApplicationSets, assessed like Argo CD's.
var argoChecks = mergeChecks(
	kinds("argoproj.io", map[string]check{
		"AnalysisRun": argoPhaseRule("Waiting for analysis run to finish: status has not been reconciled.", map[string]phaseHealth{
			"Pending":      {status: v1alpha1.HealthStatusProgressing, message: "Analysis run is running"},
			"Running":      {status: v1alpha1.HealthStatusProgressing, message: "Analysis run is running"},
			"Successful":   {status: v1alpha1.HealthStatusHealthy, message: "Analysis run completed successfully", messageField: []string{"status", "message"}},
			"Failed":       {status: v1alpha1.HealthStatusDegraded, message: "Analysis run failed", messageField: []string{"status", "message"}},
			"Error":        {status: v1alpha1.HealthStatusDegraded, message: "Analysis run had an error", messageField: []string{"status", "message"}},
			"Inconclusive": {status: v1alpha1.HealthStatusUnknown, message: "Analysis run was inconclusive", messageField: []string{"status", "message"}},
		}),
		"Experiment": argoPhaseRule("Waiting for experiment to finish: status has not been reconciled.", map[string]phaseHealth{
			"Pending":    {status: v1alpha1.HealthStatusProgressing, message: "Experiment is pending"},
			"Running":    {status: v1alpha1.HealthStatusProgressing, message: "Experiment is running"},
			"Successful": {status: v1alpha1.HealthStatusHealthy, message: "Experiment is successful"},
			"Failed":     {status: v1alpha1.HealthStatusDegraded, message: "Experiment has failed"},
			"Error":      {status: v1alpha1.HealthStatusDegraded, message: "Experiment had an error"},
		}),
		"CronWorkflow":   cronWorkflowHealth,
		"EventBus":       eventBusHealth,
		"ApplicationSet": applicationSetHealth,
	}),
	kinds(v1alpha1.GroupName, map[string]check{"ApplicationSet": applicationSetHealth}),
)

// argoPhaseRule maps status.phase; an object with a status but an unlisted
// phase has no health, as Argo CD's scripts return an empty result.
func argoPhaseRule(waiting string, phases map[string]phaseHealth) check {
	return func(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
		if r.object(obj, "status") == nil {
			return newHealth(v1alpha1.HealthStatusProgressing, waiting)
		}
		known, ok := phases[r.str(obj, "status", "phase")]
		if !ok {
			return nil
		}
		if known.messageField != nil {
			if message, set := r.optionalString(obj, known.messageField...); set {
				return newHealth(known.status, message)
			}
		}
		return newHealth(known.status, known.message)
	}
}

// cronWorkflowHealth is Degraded on a spec or submission error, else Healthy.
var cronWorkflowHealth = conditionRule{passes: [][]conditionCase{{
	{Type: "SpecError", Status: conditionTrue, Health: v1alpha1.HealthStatusDegraded},
	{Type: "SubmissionError", Status: conditionTrue, Health: v1alpha1.HealthStatusDegraded},
	{Type: "Completed", Status: conditionTrue, Health: v1alpha1.HealthStatusHealthy},
}}}.healthyByDefault("CronWorkflow is healthy.")

// healthyByDefault is the rule, with Healthy and message when no condition
// decides instead of Progressing.
func (rule conditionRule) healthyByDefault(message string) check {
	return func(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
		health := rule.check(r, obj)
		if health.Status == v1alpha1.HealthStatusProgressing && health.Message == rule.waiting {
			return newHealth(v1alpha1.HealthStatusHealthy, message)
		}
		return health
	}
}

// eventBusHealth follows the Deployed condition; its message falls back on
// the reason.
func eventBusHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	for _, c := range r.conditions(obj) {
		if c.Type != "Deployed" {
			continue
		}
		switch c.Status {
		case conditionFalse:
			return newHealth(v1alpha1.HealthStatusDegraded, c.messageOr(c.Reason))
		case conditionTrue:
			return newHealth(v1alpha1.HealthStatusHealthy, c.messageOr(c.Reason))
		}
	}
	return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for initialization")
}

// applicationSetHealth: an error, or resources not up to date, is Degraded;
// a progressive sync under way is Progressing; resources up to date Healthy.
var applicationSetHealth = conditionRule{waiting: "Waiting for the status to be reported", passes: [][]conditionCase{
	{{Type: "ErrorOccurred", Status: conditionTrue, Health: v1alpha1.HealthStatusDegraded}},
	{{Type: "ResourcesUpToDate", Status: conditionFalse, Health: v1alpha1.HealthStatusDegraded}},
	{{Type: "RolloutProgressing", Status: conditionTrue, Health: v1alpha1.HealthStatusProgressing}},
	{{Type: "ResourcesUpToDate", Status: conditionTrue, Health: v1alpha1.HealthStatusHealthy}},
}}.check

// applicationHealthWaiting is the message of a child Application that has
// not reported its own yet, with --assess-application-health.
const applicationHealthWaiting = "Waiting for application to be reconciled"

// applicationHealth is a child Application's own status.health, as the
// argocd-cm rule app-of-apps users add back; off unless
// Options.AssessApplicationHealth.
func applicationHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	status := r.str(obj, "status", "health", "status")
	if status == "" {
		return newHealth(v1alpha1.HealthStatusProgressing, applicationHealthWaiting)
	}
	return newHealth(v1alpha1.HealthStatusCode(status), r.str(obj, "status", "health", "message"))
}
