package application_test

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/registry/capstan/registrytest"
)

func contextOf(name string, groups ...string) context.Context {
	return genericapirequest.WithUser(requestContext(), &user.DefaultInfo{Name: name, Groups: groups})
}

func TestTheServerRecordsWhoInitiatedAnOperation(t *testing.T) {
	storage := newStorage(t)
	forged := func() *capstan.Operation {
		return &capstan.Operation{
			Sync:        &capstan.SyncOperation{Revision: "HEAD"},
			InitiatedBy: capstan.OperationInitiator{Username: "mallory", Automated: true},
		}
	}

	t.Run("a created operation names its writer and is never automated", func(t *testing.T) {
		app := validApplication("created")
		app.Operation = forged()
		stored := registrytest.Create(t, contextOf("bob"), storage.Application, app)
		if got := stored.Operation.InitiatedBy; got != (capstan.OperationInitiator{Username: "bob"}) {
			t.Errorf("initiatedBy = %+v, want bob, not automated", got)
		}
	})

	t.Run("an operation written by update names its writer", func(t *testing.T) {
		app := createApplication(t, storage, validApplication("updated"))
		app.Operation = forged()
		stored, err := registrytest.Update(contextOf("bob"), storage.Application, app, &metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := stored.Operation.InitiatedBy; got != (capstan.OperationInitiator{Username: "bob"}) {
			t.Errorf("initiatedBy = %+v, want bob, not automated", got)
		}

		t.Run("and keeps it when someone else rewrites the same operation", func(t *testing.T) {
			stored.Operation.InitiatedBy = capstan.OperationInitiator{Username: "carol"}
			stored.Labels = map[string]string{"touched": "yes"}
			again, err := registrytest.Update(contextOf("carol"), storage.Application, stored, &metav1.UpdateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := again.Operation.InitiatedBy; got != (capstan.OperationInitiator{Username: "bob"}) {
				t.Errorf("initiatedBy = %+v, want bob's to stay", got)
			}
		})
	})

	t.Run("the in-process controllers write automated operations", func(t *testing.T) {
		app := createApplication(t, storage, validApplication("automated"))
		app.Operation = &capstan.Operation{Sync: &capstan.SyncOperation{Revision: "HEAD"}, InitiatedBy: capstan.OperationInitiator{Automated: true}}
		stored, err := registrytest.Update(contextOf(user.APIServerUser, user.SystemPrivilegedGroup), storage.Application, app, &metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !stored.Operation.InitiatedBy.Automated {
			t.Errorf("initiatedBy = %+v, want automated", stored.Operation.InitiatedBy)
		}
	})

	t.Run("a status write cannot start an operation", func(t *testing.T) {
		app := createApplication(t, storage, validApplication("status"))
		app.Operation = forged()
		stored, err := registrytest.Update(contextOf("bob"), storage.Status, app, &metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if stored.Operation != nil {
			t.Errorf("a status write set operation %+v", stored.Operation)
		}
	})

	t.Run("nor can a cluster administrator's, even one claiming to be automated", func(t *testing.T) {
		app := createApplication(t, storage, validApplication("status-admin"))
		app.Operation = forged()
		stored, err := registrytest.Update(contextOf("admin", user.SystemPrivilegedGroup), storage.Status, app, &metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if stored.Operation != nil {
			t.Errorf("a status write set operation %+v", stored.Operation)
		}
	})

	t.Run("the in-process controllers start an automated sync in one status write", func(t *testing.T) {
		app := createApplication(t, storage, validApplication("status-automated"))
		app.Operation = &capstan.Operation{Sync: &capstan.SyncOperation{Revision: "HEAD"}, InitiatedBy: capstan.OperationInitiator{Automated: true}}
		app.Status.OperationState = &capstan.OperationState{Operation: *app.Operation, Phase: capstan.OperationRunning, StartedAt: metav1.Now()}
		stored, err := registrytest.Update(contextOf(user.APIServerUser, user.SystemPrivilegedGroup), storage.Status, app, &metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if stored.Operation == nil || !stored.Operation.InitiatedBy.Automated || stored.Status.OperationState == nil ||
			stored.Status.OperationState.Phase != capstan.OperationRunning {
			t.Errorf("operation %+v, state %+v: want the automated sync set and Running", stored.Operation, stored.Status.OperationState)
		}

		t.Run("but not a manual one", func(t *testing.T) {
			app := createApplication(t, storage, validApplication("status-manual"))
			app.Operation = &capstan.Operation{Sync: &capstan.SyncOperation{Revision: "HEAD"}, InitiatedBy: capstan.OperationInitiator{Username: "bob"}}
			stored, err := registrytest.Update(contextOf(user.APIServerUser, user.SystemPrivilegedGroup), storage.Status, app, &metav1.UpdateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if stored.Operation != nil {
				t.Errorf("a status write set a manual operation %+v", stored.Operation)
			}
		})
	})
}
