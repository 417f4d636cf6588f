package application

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
)

// SyncREST is the storage of applications/sync: POSTing an ApplicationSyncRequest
// sets the Application's operation, as Argo CD's sync API does.
type SyncREST struct {
	store *genericregistry.Store
	// access reads the Application's project: its sync windows may refuse a
	// manual sync, answered 403 as Argo CD's API answers "cannot sync: blocked
	// by sync window".
	access Access
}

var (
	_ rest.NamedCreater = &SyncREST{}
	_ rest.Scoper       = &SyncREST{}
)

// New returns an empty ApplicationSyncRequest.
func (r *SyncREST) New() runtime.Object { return &capstan.ApplicationSyncRequest{} }

// Destroy releases nothing: the store belongs to the applications resource.
func (r *SyncREST) Destroy() {}

// NamespaceScoped is true: sync requests live in their Application's namespace.
func (r *SyncREST) NamespaceScoped() bool { return true }

// Create validates the request and sets the Application's operation in one
// guaranteed update. It answers 409 Conflict while another operation is set.
func (r *SyncREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	req, ok := obj.(*capstan.ApplicationSyncRequest)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not an ApplicationSyncRequest: %T", obj))
	}
	if err := checkRequestName(name, req.Name); err != nil {
		return nil, err
	}
	if errs := validation.ValidateApplicationSyncRequest(req); len(errs) > 0 {
		return nil, apierrors.NewInvalid(capstan.Kind("ApplicationSyncRequest"), name, errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, req.DeepCopyObject()); err != nil {
			return nil, err
		}
	}

	var accepted *capstan.Operation
	err := guaranteedUpdate(ctx, r.store, name, options.DryRun, func(app *capstan.Application) error {
		if app.Operation != nil {
			return apierrors.NewConflict(capstan.Resource("applications"), name,
				fmt.Errorf("another operation is already in progress"))
		}
		allowed, reason, err := r.access.manualSyncAllowed(ctx, app)
		if err != nil {
			return apierrors.NewInternalError(fmt.Errorf("evaluate sync windows: %w", err))
		}
		if !allowed {
			return apierrors.NewForbidden(capstan.Resource("applications/sync"), name,
				fmt.Errorf("cannot sync: blocked by sync window (%s)", reason))
		}
		op, err := operationFor(app, req, requestingUser(ctx))
		if err != nil {
			return err
		}
		app.Operation = op
		app.Status.OperationState = nil
		accepted = op.DeepCopy()
		return nil
	})
	if err != nil {
		return nil, err
	}

	out := req.DeepCopy()
	out.Name = name
	out.Namespace = genericapirequest.NamespaceValue(ctx)
	out.Status = capstan.ApplicationSyncRequestStatus{
		Phase:     capstan.OperationRunning,
		Message:   "sync operation accepted",
		Operation: accepted,
	}
	return out, nil
}

// operationFor builds the operation a sync request asks for, with Argo CD's rules:
// an empty revision means the source's targetRevision, an automated Application
// may only be synced to its target revision, and the request's retry strategy
// wins over the Application's.
func operationFor(app *capstan.Application, req *capstan.ApplicationSyncRequest, user string) (*capstan.Operation, error) {
	spec := req.Spec
	sync := &capstan.SyncOperation{
		Revision:     spec.Revision,
		Prune:        spec.Prune,
		DryRun:       spec.DryRun,
		SyncStrategy: spec.Strategy.DeepCopy(),
		Resources:    append([]capstan.SyncOperationResource(nil), spec.Resources...),
		SyncOptions:  append(capstan.SyncOptions(nil), spec.SyncOptions...),
	}
	if len(app.Spec.Sources) > 0 {
		revisions, err := sourceRevisions(app.Spec.Sources, spec)
		if err != nil {
			return nil, err
		}
		sync.Revisions = revisions
	} else if app.Spec.Source != nil {
		target := app.Spec.Source.TargetRevision
		if target == "" {
			target = "HEAD"
		}
		if sync.Revision == "" {
			sync.Revision = app.Spec.Source.TargetRevision
		} else if app.Spec.SyncPolicy.IsAutomatedSyncEnabled() && !spec.DryRun && sync.Revision != target {
			return nil, apierrors.NewBadRequest(fmt.Sprintf(
				"cannot sync to %s: auto-sync currently set to %s", sync.Revision, target))
		}
	}

	op := &capstan.Operation{
		Sync:        sync,
		InitiatedBy: capstan.OperationInitiator{Username: user},
	}
	switch {
	case spec.Retry != nil:
		op.Retry = *spec.Retry.DeepCopy()
	case app.Spec.SyncPolicy != nil && app.Spec.SyncPolicy.Retry != nil:
		op.Retry = *app.Spec.SyncPolicy.Retry.DeepCopy()
	}
	return op, nil
}

// sourceRevisions returns one revision per source of a multi-source Application:
// the request's revisions at their source positions, the targetRevision elsewhere.
func sourceRevisions(sources []capstan.ApplicationSource, spec capstan.ApplicationSyncRequestSpec) ([]string, error) {
	revisions := make([]string, len(sources))
	for i, source := range sources {
		revisions[i] = source.TargetRevision
	}
	if len(spec.SourcePositions) == 0 {
		for i, revision := range spec.Revisions {
			if i >= len(revisions) {
				return nil, apierrors.NewBadRequest(fmt.Sprintf(
					"spec.revisions has %d entries but the application has %d sources", len(spec.Revisions), len(sources)))
			}
			if revision != "" {
				revisions[i] = revision
			}
		}
		return revisions, nil
	}
	for i, position := range spec.SourcePositions {
		if position < 1 || int(position) > len(sources) {
			return nil, apierrors.NewBadRequest(fmt.Sprintf(
				"spec.sourcePositions[%d]: %d is not a source position (1..%d)", i, position, len(sources)))
		}
		revisions[position-1] = spec.Revisions[i]
	}
	return revisions, nil
}
