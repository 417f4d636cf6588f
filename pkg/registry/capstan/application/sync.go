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
	"k8s.io/apiserver/pkg/storage"
	storeerr "k8s.io/apiserver/pkg/storage/errors"
	"k8s.io/apiserver/pkg/util/dryrun"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
)

// SyncREST is the storage of applications/sync: POSTing an ApplicationSyncRequest
// sets the Application's operation, as Argo CD's sync API does.
type SyncREST struct {
	store *genericregistry.Store
	// Windows, when set, tells whether the sync windows of the Application's
	// project let a manual sync start now; a refused sync is answered 403, as
	// Argo CD's API answers "cannot sync: blocked by sync window".
	Windows WindowsFunc
}

// WindowsFunc tells whether the sync windows of app's project allow a manual
// sync now, and why not.
type WindowsFunc func(ctx context.Context, app *capstan.Application) (bool, string, error)

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
		if r.Windows != nil {
			allowed, reason, err := r.Windows(ctx, app)
			if err != nil {
				return apierrors.NewInternalError(fmt.Errorf("evaluate sync windows: %w", err))
			}
			if !allowed {
				return apierrors.NewForbidden(capstan.Resource("applications/sync"), name,
					fmt.Errorf("cannot sync: blocked by sync window (%s)", reason))
			}
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

// guaranteedUpdate applies mutate to the stored Application, retrying on
// conflicts with concurrent writers; mutate's errors are returned as they are.
func guaranteedUpdate(ctx context.Context, store *genericregistry.Store, name string, dryRunOpts []string, mutate func(*capstan.Application) error) error {
	key, err := store.KeyFunc(ctx, name)
	if err != nil {
		return err
	}
	err = store.Storage.GuaranteedUpdate(ctx, key, &capstan.Application{}, false, nil,
		storage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
			app, ok := obj.(*capstan.Application)
			if !ok {
				return nil, fmt.Errorf("unexpected object in storage: %T", obj)
			}
			if app.DeletionTimestamp != nil {
				return nil, apierrors.NewConflict(capstan.Resource("applications"), name,
					fmt.Errorf("the application is being deleted"))
			}
			if err := mutate(app); err != nil {
				return nil, err
			}
			return app, nil
		}), dryrun.IsDryRun(dryRunOpts), nil)
	if err != nil {
		return storeerr.InterpretUpdateError(err, store.DefaultQualifiedResource, name)
	}
	return nil
}

// checkRequestName refuses a request body that names another Application.
func checkRequestName(urlName, bodyName string) error {
	if bodyName != "" && bodyName != urlName {
		return apierrors.NewBadRequest(fmt.Sprintf("metadata.name %q does not match the application %q in the URL", bodyName, urlName))
	}
	return nil
}

func requestingUser(ctx context.Context) string {
	if user, ok := genericapirequest.UserFrom(ctx); ok {
		return user.GetName()
	}
	return ""
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
		} else if automated(app) && !spec.DryRun && sync.Revision != target {
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

func automated(app *capstan.Application) bool {
	policy := app.Spec.SyncPolicy
	if policy == nil || policy.Automated == nil {
		return false
	}
	return policy.Automated.Enabled == nil || *policy.Automated.Enabled
}
