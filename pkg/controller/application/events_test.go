package application

import (
	"context"
	"testing"

	"k8s.io/client-go/tools/record"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
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
