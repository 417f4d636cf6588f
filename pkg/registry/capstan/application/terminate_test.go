package application_test

import (
	"fmt"
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/registry/capstan/application"
	"capstan.dev/capstan/pkg/registry/capstan/registrytest"
)

// terminateApplication posts to applications/name/terminate as alice.
func terminateApplication(storage application.Storage, name string, options *metav1.CreateOptions) (*capstan.ApplicationTerminateRequest, error) {
	obj, err := storage.Terminate.Create(userContext(), name, &capstan.ApplicationTerminateRequest{}, rest.ValidateAllObjectFunc, options)
	if err != nil {
		return nil, err
	}
	return obj.(*capstan.ApplicationTerminateRequest), nil
}

func TestTerminate(t *testing.T) {
	storage := newStorage(t)
	operation := &capstan.Operation{
		Sync:        &capstan.SyncOperation{Revision: "HEAD", Prune: true},
		InitiatedBy: capstan.OperationInitiator{Username: "alice"},
	}
	startedAt := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))

	tests := []struct {
		name string
		// operation and state are set on the Application before terminating.
		operation *capstan.Operation
		state     *capstan.OperationState
		dryRun    bool
		wantErr   func(error) bool
		// wantStartedAt is the stored start time; zero means any time during the test.
		wantStartedAt metav1.Time
	}{
		{
			name:    "without an operation it is refused with 400",
			wantErr: apierrors.IsBadRequest,
		},
		{
			name:      "an operation not yet started is recorded as started and Terminating",
			operation: operation,
		},
		{
			name:      "a running operation becomes Terminating and keeps its start time",
			operation: operation,
			state: &capstan.OperationState{
				Operation: *operation, Phase: capstan.OperationRunning, Message: "syncing", StartedAt: startedAt,
			},
			wantStartedAt: startedAt,
		},
		{
			name:      "a dry run leaves the application unchanged",
			operation: operation,
			dryRun:    true,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := validApplication(fmt.Sprintf("case-%d", i))
			app.Operation = tt.operation
			// Written by alice: the server records her as the initiator.
			app = registrytest.Create(t, userContext(), storage.Application, app)
			if tt.state != nil {
				app.Status.OperationState = tt.state
				var err error
				if app, err = updateApplication(storage.Status, app, &metav1.UpdateOptions{}); err != nil {
					t.Fatalf("write the operation state: %v", err)
				}
			}
			options := &metav1.CreateOptions{}
			if tt.dryRun {
				options.DryRun = []string{metav1.DryRunAll}
			}

			before := time.Now().Add(-time.Second)
			answer, err := terminateApplication(storage, app.Name, options)
			stored := getApplication(t, storage, app.Name)
			if tt.wantErr != nil || tt.dryRun {
				if tt.wantErr != nil && !tt.wantErr(err) {
					t.Fatalf("terminate: got %v, want a different error", err)
				}
				if tt.dryRun && err != nil {
					t.Fatalf("dry-run terminate: %v", err)
				}
				if stored.ResourceVersion != app.ResourceVersion {
					t.Errorf("terminate changed the application: operationState %+v", stored.Status.OperationState)
				}
				return
			}
			if err != nil {
				t.Fatalf("terminate: %v", err)
			}
			if answer.Status.Phase != capstan.OperationTerminating || answer.Name != app.Name || answer.Namespace != namespace {
				t.Errorf("answered %s/%s phase %q, want %s/%s Terminating", answer.Namespace, answer.Name, answer.Status.Phase, namespace, app.Name)
			}
			state := stored.Status.OperationState
			if state == nil {
				t.Fatalf("terminate left no operationState")
			}
			if state.Phase != capstan.OperationTerminating {
				t.Errorf("operationState.phase = %q, want Terminating", state.Phase)
			}
			if !apiequality.Semantic.DeepEqual(&state.Operation, tt.operation) || !apiequality.Semantic.DeepEqual(stored.Operation, tt.operation) {
				t.Errorf("operation %+v and operationState.operation %+v, want both to be the requested %+v", stored.Operation, state.Operation, tt.operation)
			}
			switch {
			case !tt.wantStartedAt.IsZero() && !state.StartedAt.Equal(&tt.wantStartedAt):
				t.Errorf("operationState.startedAt = %v, want the original %v", state.StartedAt, tt.wantStartedAt)
			case tt.wantStartedAt.IsZero() && state.StartedAt.Time.Before(before):
				t.Errorf("operationState.startedAt = %v, want the time of the request", state.StartedAt)
			}
		})
	}
}
