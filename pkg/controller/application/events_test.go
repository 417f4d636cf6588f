package application

import (
	"context"
	"testing"

	"k8s.io/client-go/tools/record"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/generated/clientset/versioned/fake"
)

// drain returns the Events the fake recorder holds.
func drain(recorder *record.FakeRecorder) []string {
	var events []string
	for {
		select {
		case event := <-recorder.Events:
			events = append(events, event)
		default:
			return events
		}
	}
}

func TestStatusTransitionsRecordEvents(t *testing.T) {
	tests := []struct {
		name   string
		sync   v1alpha1.SyncStatusCode
		health v1alpha1.HealthStatusCode
		want   []string
	}{
		{
			name:   "a sync status change records SyncStatusChanged",
			sync:   v1alpha1.SyncStatusCodeSynced,
			health: v1alpha1.HealthStatusProgressing,
			want:   []string{"Normal SyncStatusChanged Sync status changed from OutOfSync to Synced"},
		},
		{
			name:   "a health status change records HealthStatusChanged",
			sync:   v1alpha1.SyncStatusCodeOutOfSync,
			health: v1alpha1.HealthStatusHealthy,
			want:   []string{"Normal HealthStatusChanged Health status changed from Progressing to Healthy"},
		},
		{
			name:   "both changing record both",
			sync:   v1alpha1.SyncStatusCodeSynced,
			health: v1alpha1.HealthStatusHealthy,
			want: []string{
				"Normal SyncStatusChanged Sync status changed from OutOfSync to Synced",
				"Normal HealthStatusChanged Health status changed from Progressing to Healthy",
			},
		},
		{
			name:   "no change records nothing",
			sync:   v1alpha1.SyncStatusCodeOutOfSync,
			health: v1alpha1.HealthStatusProgressing,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := testApplication()
			app.Status.Sync.Status = v1alpha1.SyncStatusCodeOutOfSync
			app.Status.Health.Status = v1alpha1.HealthStatusProgressing
			recorder := record.NewFakeRecorder(10)
			c := newTestController(t, app, recorder)
			if _, err := c.writeStatus(context.Background(), app, comparison(tt.sync, tt.health)); err != nil {
				t.Fatal(err)
			}
			expectEvents(t, drain(recorder), tt.want)
		})
	}
}

// An Application's first status is where it starts: no Event. Its next
// change records one.
func TestFirstStatusRecordsNoEvent(t *testing.T) {
	app := testApplication()
	recorder := record.NewFakeRecorder(10)
	c := newTestController(t, app, recorder)
	written, err := c.writeStatus(context.Background(), app, comparison(v1alpha1.SyncStatusCodeOutOfSync, v1alpha1.HealthStatusMissing))
	if err != nil {
		t.Fatal(err)
	}
	if written == nil || written.Status.Sync.Status != v1alpha1.SyncStatusCodeOutOfSync || written.Status.Health.Status != v1alpha1.HealthStatusMissing {
		t.Fatalf("written = %+v, want OutOfSync and Missing", written)
	}
	expectEvents(t, drain(recorder), nil)
	if _, err := c.writeStatus(context.Background(), written, comparison(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusMissing)); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, drain(recorder), []string{"Normal SyncStatusChanged Sync status changed from OutOfSync to Synced"})
}

func TestOperationOutcomesRecordEvents(t *testing.T) {
	tests := []struct {
		name  string
		phase v1alpha1.OperationPhase
		want  string
	}{
		{name: "a succeeded sync records OperationCompleted", phase: v1alpha1.OperationSucceeded,
			want: "Normal OperationCompleted Sync operation succeeded: successfully synced"},
		{name: "a failed sync records a OperationFailed warning", phase: v1alpha1.OperationFailed,
			want: "Warning OperationFailed Sync operation Failed: successfully synced"},
		{name: "an errored sync records a OperationFailed warning", phase: v1alpha1.OperationError,
			want: "Warning OperationFailed Sync operation Error: successfully synced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := testApplication()
			app.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}}
			recorder := record.NewFakeRecorder(10)
			c := newTestController(t, app, recorder)
			if err := c.finishOperation(context.Background(), app, newState(app.Operation), tt.phase, "successfully synced"); err != nil {
				t.Fatal(err)
			}
			expectEvents(t, drain(recorder), []string{tt.want})
		})
	}
}

func TestNoRecorderRecordsNothing(t *testing.T) {
	app := testApplication()
	c := newTestController(t, app, nil)
	if _, err := c.writeStatus(context.Background(), app, comparison(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusHealthy)); err != nil {
		t.Fatal(err)
	}
}

func expectEvents(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// The end of an operation and the comparison after it are one write: the
// operation cleared, its outcome and history recorded, and the comparison's
// status, with the Events of both.
func TestOperationEndIsWrittenWithTheComparison(t *testing.T) {
	app := testApplication()
	app.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "abc"}}
	app.Status.Sync.Status = v1alpha1.SyncStatusCodeOutOfSync
	app.Status.Health.Status = v1alpha1.HealthStatusMissing
	state := newState(app.Operation)
	state.SyncResult = &v1alpha1.SyncOperationResult{Revision: "abc"}
	app.Status.OperationState = state
	recorder := record.NewFakeRecorder(10)
	c := newTestController(t, app, recorder)
	client := c.client.(*fake.Clientset)
	client.ClearActions()

	end := &operationEnd{running: app, state: state, phase: v1alpha1.OperationSucceeded, message: "successfully synced"}
	written, err := c.writeStatusEnding(context.Background(), end.ended(), comparison(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusHealthy), nil, end)
	if err != nil {
		t.Fatal(err)
	}
	if !end.written {
		t.Error("end.written = false after the write")
	}
	if actions := client.Actions(); len(actions) != 1 || actions[0].GetVerb() != "update" || actions[0].GetSubresource() != "status" {
		t.Fatalf("requests = %v, want one status update", actions)
	}
	if written.Operation != nil {
		t.Errorf("operation = %+v, want it cleared", written.Operation)
	}
	if got := written.Status.OperationState; got == nil || got.Phase != v1alpha1.OperationSucceeded || got.FinishedAt == nil || got.Message != "successfully synced" {
		t.Errorf("operationState = %+v, want Succeeded, finished, with its message", got)
	}
	if len(written.Status.History) != 1 || written.Status.History[0].Revision != "abc" {
		t.Errorf("history = %+v, want one entry for abc", written.Status.History)
	}
	if written.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced || written.Status.Health.Status != v1alpha1.HealthStatusHealthy {
		t.Errorf("sync/health = %s/%s, want Synced/Healthy", written.Status.Sync.Status, written.Status.Health.Status)
	}
	expectEvents(t, drain(recorder), []string{
		"Normal OperationCompleted Sync operation succeeded: successfully synced",
		"Normal SyncStatusChanged Sync status changed from OutOfSync to Synced",
		"Normal HealthStatusChanged Health status changed from Missing to Healthy",
	})
}

// An end is written even when the comparison finds the status unchanged.
func TestOperationEndIsWrittenWhenTheStatusIsUnchanged(t *testing.T) {
	app := testApplication()
	app.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}}
	app.Status.OperationState = newState(app.Operation)
	c := newTestController(t, app, nil)
	end := &operationEnd{running: app, state: app.Status.OperationState, phase: v1alpha1.OperationFailed, message: "one or more objects failed to apply"}
	ended := end.ended()
	written, err := c.writeStatusEnding(context.Background(), ended, comparison(ended.Status.Sync.Status, ended.Status.Health.Status), nil, end)
	if err != nil {
		t.Fatal(err)
	}
	if written == nil || written.Operation != nil || written.Status.OperationState.Phase != v1alpha1.OperationFailed {
		t.Fatalf("written = %+v, want the operation ended as Failed", written)
	}
	if len(written.Status.History) != 0 {
		t.Errorf("history = %+v, want none after a failed sync", written.Status.History)
	}
}
