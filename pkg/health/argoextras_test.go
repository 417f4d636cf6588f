package health

import "testing"

func TestArgoProjectsHealth(t *testing.T) {
	c := &Checker{}
	runKind(t, c, "argoproj.io/v1alpha1", "AnalysisRun", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "Waiting for analysis run to finish: status has not been reconciled."},
		{name: "running", object: `status: {phase: Running}`, status: progressing, message: "Analysis run is running"},
		{name: "successful", object: `status: {phase: Successful}`, status: healthy, message: "Analysis run completed successfully"},
		{name: "failed with a message", object: `status: {phase: Failed, message: metric failed}`, status: degraded, message: "metric failed"},
		{name: "error", object: `status: {phase: Error}`, status: degraded, message: "Analysis run had an error"},
		{name: "inconclusive", object: `status: {phase: Inconclusive}`, status: unknown, message: "Analysis run was inconclusive"},
		{name: "an unlisted phase has no health", object: `status: {phase: ""}`},
	})
	runKind(t, c, "argoproj.io/v1alpha1", "Experiment", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "Waiting for experiment to finish: status has not been reconciled."},
		{name: "pending", object: `status: {phase: Pending}`, status: progressing, message: "Experiment is pending"},
		{name: "successful", object: `status: {phase: Successful}`, status: healthy, message: "Experiment is successful"},
		{name: "failed", object: `status: {phase: Failed}`, status: degraded, message: "Experiment has failed"},
	})
	runKind(t, c, "argoproj.io/v1alpha1", "CronWorkflow", []objectCase{
		{name: "no status", object: `{}`, status: healthy, message: "CronWorkflow is healthy."},
		{name: "spec error", object: `status: {conditions: [{type: SpecError, status: "True", message: bad cron}]}`, status: degraded, message: "bad cron"},
		{name: "submission error", object: `status: {conditions: [{type: SubmissionError, status: "True", message: quota}]}`, status: degraded, message: "quota"},
		{name: "completed", object: `status: {conditions: [{type: Completed, status: "True", message: done}]}`, status: healthy, message: "done"},
	})
	runKind(t, c, "argoproj.io/v1alpha1", "EventBus", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "Waiting for initialization"},
		{name: "deployed", object: `status: {conditions: [{type: Deployed, status: "True", reason: Succeeded}]}`, status: healthy, message: "Succeeded"},
		{name: "not deployed", object: `status: {conditions: [{type: Deployed, status: "False", message: no jetstream}]}`, status: degraded, message: "no jetstream"},
	})
	for _, apiVersion := range []string{"argoproj.io/v1alpha1", "capstan.dev/v1alpha1"} {
		runKind(t, c, apiVersion, "ApplicationSet", []objectCase{
			{name: "no status", object: `{}`, status: progressing, message: "Waiting for the status to be reported"},
			{name: "error", object: `status: {conditions: [{type: ResourcesUpToDate, status: "True"}, {type: ErrorOccurred, status: "True", message: bad template}]}`,
				status: degraded, message: "bad template"},
			{name: "resources not up to date", object: `status: {conditions: [{type: ResourcesUpToDate, status: "False", message: stale}]}`, status: degraded, message: "stale"},
			{name: "rolling out", object: `status: {conditions: [{type: ResourcesUpToDate, status: "True"}, {type: RolloutProgressing, status: "True", message: step 1}]}`,
				status: progressing, message: "step 1"},
			{name: "up to date", object: `status: {conditions: [{type: ResourcesUpToDate, status: "True", message: All applications have been generated successfully}]}`,
				status: healthy, message: "All applications have been generated successfully"},
		})
	}
}

func TestChildApplicationHealth(t *testing.T) {
	degradedChild := `status: {health: {status: Degraded, message: a pod crashes}}`
	for _, apiVersion := range []string{"argoproj.io/v1alpha1", "capstan.dev/v1alpha1"} {
		runKind(t, &Checker{}, apiVersion, "Application", []objectCase{
			{name: "has no health by default, as in Argo CD since 1.8", object: degradedChild},
		})
		assessing, err := NewChecker(Options{AssessApplicationHealth: true})
		if err != nil {
			t.Fatal(err)
		}
		runKind(t, assessing, apiVersion, "Application", []objectCase{
			{name: "reports its own health when asked", object: degradedChild, status: degraded, message: "a pod crashes"},
			{name: "waits until it reports one", object: `{}`, status: progressing, message: "Waiting for application to be reconciled"},
		})
	}
}
