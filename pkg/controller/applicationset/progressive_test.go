package applicationset

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/plan"
)

// rolloutApp is a generated Application with an env label.
func rolloutApp(name, env string) *v1alpha1.Application {
	app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"env": env}}}
	app.Status.Sync.Status = v1alpha1.SyncStatusCodeOutOfSync
	app.Status.Health.Status = v1alpha1.HealthStatusMissing
	return app
}

// syncRequested is what the Application looks like once the rollout set its
// operation; synced once the Application controller ran it.
func syncRequested(app *v1alpha1.Application) {
	app.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}}
}

func synced(app *v1alpha1.Application, at time.Time) {
	app.Operation = nil
	app.Status.Sync.Status = v1alpha1.SyncStatusCodeSynced
	app.Status.Health.Status = v1alpha1.HealthStatusHealthy
	app.Status.OperationState = &v1alpha1.OperationState{Phase: v1alpha1.OperationSucceeded, StartedAt: metav1.NewTime(at)}
}

// states renders statuses as "name=Status@step".
func states(statuses []v1alpha1.ApplicationSetApplicationStatus) string {
	var out []string
	for _, s := range statuses {
		out = append(out, fmt.Sprintf("%s=%s@%s", s.Application, s.Status, s.Step))
	}
	return strings.Join(out, " ")
}

func TestRolloutRunsStepsInOrderWithinMaxUpdate(t *testing.T) {
	steps := []v1alpha1.ApplicationSetRolloutStep{
		{MatchExpressions: []v1alpha1.ApplicationMatchExpression{{Key: "env", Operator: "In", Values: []string{"dev"}}}},
		{MatchExpressions: []v1alpha1.ApplicationMatchExpression{{Key: "env", Operator: "In", Values: []string{"prod"}}},
			MaxUpdate: ptrIntOrString(intstr.FromString("50%"))},
	}
	dev, prodA, prodB, other := rolloutApp("dev", "dev"), rolloutApp("prod-a", "prod"), rolloutApp("prod-b", "prod"), rolloutApp("other", "qa")
	owned := []*v1alpha1.Application{dev, other, prodA, prodB}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var statuses []v1alpha1.ApplicationSetApplicationStatus
	pass := func(want, wantSync string) {
		t.Helper()
		clock = clock.Add(time.Minute)
		var toSync []string
		statuses, toSync = rollout(steps, owned, statuses, metav1.NewTime(clock))
		if got := states(statuses); got != want {
			t.Errorf("statuses %s, want %s", got, want)
		}
		if got := strings.Join(toSync, " "); got != wantSync {
			t.Errorf("synced %q, want %q", got, wantSync)
		}
	}
	// The first step starts; the Application of no step is left out.
	pass("dev=Pending@1 prod-a=Waiting@2 prod-b=Waiting@2", "dev")
	syncRequested(dev)
	pass("dev=Progressing@1 prod-a=Waiting@2 prod-b=Waiting@2", "")
	// Nothing else moves while the first step is not Healthy.
	pass("dev=Progressing@1 prod-a=Waiting@2 prod-b=Waiting@2", "")
	synced(dev, clock)
	// 50% of two is one Application of the second step at a time.
	pass("dev=Healthy@1 prod-a=Pending@2 prod-b=Waiting@2", "prod-a")
	// A sync that ran (and ended Healthy) between two passes moves the
	// Application through Progressing to Healthy in one pass, as in Argo CD.
	synced(prodA, clock.Add(30*time.Second))
	pass("dev=Healthy@1 prod-a=Healthy@2 prod-b=Pending@2", "prod-b")
	syncRequested(prodB)
	pass("dev=Healthy@1 prod-a=Healthy@2 prod-b=Progressing@2", "")
	synced(prodB, clock)
	pass("dev=Healthy@1 prod-a=Healthy@2 prod-b=Healthy@2", "")
	// A new change (OutOfSync again) starts a new rollout from the first step.
	for _, app := range owned {
		app.Status.Sync.Status = v1alpha1.SyncStatusCodeOutOfSync
	}
	pass("dev=Pending@1 prod-a=Waiting@2 prod-b=Waiting@2", "dev")
}

// A sync that was running when the rollout set its operation (the operation
// replaced, the state kept with its earlier start) ends after the move to
// Pending: the Application is synced, and the rollout goes on instead of
// waiting for a start time that never comes.
func TestRolloutCountsASyncThatEndedAfterPendingAsProgress(t *testing.T) {
	steps := []v1alpha1.ApplicationSetRolloutStep{
		{MatchExpressions: []v1alpha1.ApplicationMatchExpression{{Key: "env", Operator: "In", Values: []string{"prod"}}},
			MaxUpdate: ptrIntOrString(intstr.FromInt32(1))},
	}
	a, b := rolloutApp("prod-a", "prod"), rolloutApp("prod-b", "prod")
	owned := []*v1alpha1.Application{a, b}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	statuses, toSync := rollout(steps, owned, nil, metav1.NewTime(clock))
	if got := states(statuses); got != "prod-a=Pending@1 prod-b=Waiting@1" || len(toSync) != 1 {
		t.Fatalf("statuses %s, synced %v", got, toSync)
	}
	started, finished := metav1.NewTime(clock.Add(-time.Second)), metav1.NewTime(clock.Add(2*time.Second))
	synced(a, started.Time)
	a.Status.OperationState.FinishedAt = &finished
	statuses, toSync = rollout(steps, owned, statuses, metav1.NewTime(clock.Add(3*time.Second)))
	// Pending, Progressing and Healthy in one pass, as in Argo CD: the sync
	// has ended and the Application is Synced and Healthy, which one write
	// of the Application controller can tell at once. The next one starts.
	if got := states(statuses); got != "prod-a=Healthy@1 prod-b=Pending@1" || len(toSync) != 1 || toSync[0] != "prod-b" {
		t.Fatalf("statuses %s, synced %v; want prod-a Healthy and prod-b started", got, toSync)
	}
	// A sync that ended before the move to Pending does not count.
	c := rolloutApp("prod-c", "prod")
	synced(c, started.Time)
	before := metav1.NewTime(clock.Add(-time.Millisecond))
	c.Status.OperationState.FinishedAt = &before
	pending := []v1alpha1.ApplicationSetApplicationStatus{{Application: "prod-c", Status: v1alpha1.ProgressiveSyncPending, LastTransitionTime: &metav1.Time{Time: clock}}}
	statuses, _ = rollout(steps, []*v1alpha1.Application{c}, pending, metav1.NewTime(clock.Add(time.Second)))
	if got := states(statuses); got != "prod-c=Pending@1" {
		t.Fatalf("statuses %s, want prod-c still Pending", got)
	}
}

func ptrIntOrString(v intstr.IntOrString) *intstr.IntOrString { return &v }

func TestMaxUpdate(t *testing.T) {
	tests := []struct {
		name      string
		maxUpdate *intstr.IntOrString
		size      int
		want      int
	}{
		{"unset means the whole step", nil, 5, 5},
		{"a number bounds the step", ptrIntOrString(intstr.FromInt32(2)), 5, 2},
		{"zero means the whole step", ptrIntOrString(intstr.FromInt32(0)), 5, 5},
		{"a percentage rounds down", ptrIntOrString(intstr.FromString("50%")), 5, 2},
		{"a percentage is at least one", ptrIntOrString(intstr.FromString("10%")), 5, 1},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := maxUpdate(v1alpha1.ApplicationSetRolloutStep{MaxUpdate: test.maxUpdate}, test.size); got != test.want {
				t.Errorf("maxUpdate = %d, want %d", got, test.want)
			}
		})
	}
}

func TestStepOf(t *testing.T) {
	steps := []v1alpha1.ApplicationSetRolloutStep{
		{MatchExpressions: []v1alpha1.ApplicationMatchExpression{{Key: "env", Operator: "In", Values: []string{"dev", "qa"}}}},
		{MatchExpressions: []v1alpha1.ApplicationMatchExpression{{Key: "env", Operator: "NotIn", Values: []string{"dev", "qa", "lab"}}}},
	}
	for env, want := range map[string]int{"qa": 0, "prod": 1, "lab": -1} {
		if got := stepOf(steps, rolloutApp("a", env)); got != want {
			t.Errorf("env %s: step %d, want %d", env, got, want)
		}
	}
	if err := validSteps([]v1alpha1.ApplicationSetRolloutStep{{MatchExpressions: []v1alpha1.ApplicationMatchExpression{{Key: "env", Operator: "Exists"}}}}); err == nil ||
		!strings.Contains(err.Error(), "steps[0].matchExpressions[0]") {
		t.Errorf("an Exists operator was accepted: %v", err)
	}
}

func TestHoldAutoSyncRemovesAutomatedSyncAndDropsEmptyUpdates(t *testing.T) {
	c := &Controller{}
	appSet := &v1alpha1.ApplicationSet{Spec: v1alpha1.ApplicationSetSpec{Strategy: &v1alpha1.ApplicationSetStrategy{Type: v1alpha1.ApplicationSetStrategyTypeRollingSync}}}
	desired := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "a"},
		Spec: v1alpha1.ApplicationSpec{Project: "p", SyncPolicy: &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true}}}}
	live := withoutAutomated(desired)
	written, err := plan.ManagedOf(desired)
	if err != nil {
		t.Fatal(err)
	}
	other := desired.DeepCopy()
	other.Name, other.Spec.Project = "b", "q"
	otherWritten, err := plan.ManagedOf(other)
	if err != nil {
		t.Fatal(err)
	}
	changes := c.holdAutoSync(appSet, []plan.Change{
		{Name: "new", Action: plan.Create, Desired: desired},
		{Name: "a", Action: plan.Update, Desired: desired, Live: live, Written: written},
		{Name: "b", Action: plan.Update, Desired: other, Live: live, Written: otherWritten},
	})
	if len(changes) != 2 || changes[0].Name != "new" || changes[1].Name != "b" {
		t.Fatalf("changes %+v, want the creation and the update of b only", changes)
	}
	if changes[0].Desired.Spec.SyncPolicy.Automated != nil || desired.Spec.SyncPolicy.Automated == nil {
		t.Errorf("the created Application keeps automated sync, or the plan's copy was changed")
	}
	if policy, ok := changes[1].Written["spec"].(map[string]any)["syncPolicy"]; ok {
		t.Errorf("the update writes syncPolicy %v", policy)
	}
	if got := c.holdAutoSync(&v1alpha1.ApplicationSet{}, changes[:1]); len(got) != 1 {
		t.Errorf("an AllAtOnce ApplicationSet's changes were altered")
	}
}
