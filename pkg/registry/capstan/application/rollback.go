package application

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
)

// RollbackREST is the storage of applications/rollback: POSTing an
// ApplicationRollbackRequest syncs the Application to the revision and source
// of one of its status.history entries, as `argocd app rollback` does.
type RollbackREST struct {
	store *genericregistry.Store
}

var (
	_ rest.NamedCreater = &RollbackREST{}
	_ rest.Scoper       = &RollbackREST{}
)

// New returns an empty ApplicationRollbackRequest.
func (r *RollbackREST) New() runtime.Object { return &capstan.ApplicationRollbackRequest{} }

// Destroy releases nothing: the store belongs to the applications resource.
func (r *RollbackREST) Destroy() {}

// NamespaceScoped is true: rollbacks belong to namespaced Applications.
func (r *RollbackREST) NamespaceScoped() bool { return true }

// Create sets a sync operation to the history entry's revision and source. It
// is refused while automated sync is on (it would undo the rollback at once)
// and while another operation is set; it answers with the updated Application.
func (r *RollbackREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	req, ok := obj.(*capstan.ApplicationRollbackRequest)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not an ApplicationRollbackRequest: %T", obj))
	}
	if err := checkRequestName(name, req.Name); err != nil {
		return nil, err
	}
	if createValidation != nil {
		if err := createValidation(ctx, req.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	var updated *capstan.Application
	err := guaranteedUpdate(ctx, r.store, name, options.DryRun, func(app *capstan.Application) error {
		if app.Spec.SyncPolicy.IsAutomatedSyncEnabled() {
			return apierrors.NewBadRequest("rollback cannot be initiated when auto-sync is enabled")
		}
		if app.Operation != nil {
			return apierrors.NewConflict(capstan.Resource("applications"), name,
				fmt.Errorf("another operation is already in progress"))
		}
		entry := historyEntry(app, req.ID)
		if entry == nil {
			return apierrors.NewBadRequest(fmt.Sprintf("application %s has no history entry with id %d", name, req.ID))
		}
		sync := &capstan.SyncOperation{Revision: entry.Revision, Revisions: entry.Revisions, Prune: req.Prune, DryRun: req.DryRun}
		if len(entry.Sources) > 0 {
			sync.Sources = append(capstan.ApplicationSources(nil), entry.Sources...)
		} else {
			source := entry.Source
			sync.Source = &source
		}
		app.Operation = &capstan.Operation{
			Sync:        sync,
			InitiatedBy: capstan.OperationInitiator{Username: requestingUser(ctx)},
		}
		app.Status.OperationState = nil
		updated = app.DeepCopy()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

func historyEntry(app *capstan.Application, id int64) *capstan.RevisionHistory {
	for i := range app.Status.History {
		if app.Status.History[i].ID == id {
			return &app.Status.History[i]
		}
	}
	return nil
}
