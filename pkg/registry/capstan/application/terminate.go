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
)

// TerminateREST is the storage of applications/terminate: it marks the running
// operation Terminating; the operation processor then stops it.
type TerminateREST struct {
	store *genericregistry.Store
}

var (
	_ rest.NamedCreater = &TerminateREST{}
	_ rest.Scoper       = &TerminateREST{}
)

// New returns an empty ApplicationTerminateRequest.
func (r *TerminateREST) New() runtime.Object { return &capstan.ApplicationTerminateRequest{} }

// Destroy releases nothing: the store belongs to the applications resource.
func (r *TerminateREST) Destroy() {}

// NamespaceScoped is true: terminate requests live in their Application's namespace.
func (r *TerminateREST) NamespaceScoped() bool { return true }

// Create marks the Application's operation Terminating. It answers 400 when no
// operation is in progress.
func (r *TerminateREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	req, ok := obj.(*capstan.ApplicationTerminateRequest)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not an ApplicationTerminateRequest: %T", obj))
	}
	if err := checkRequestName(name, req.Name); err != nil {
		return nil, err
	}
	if createValidation != nil {
		if err := createValidation(ctx, req.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	err := guaranteedUpdate(ctx, r.store, name, options.DryRun, func(app *capstan.Application) error {
		if app.Operation == nil {
			return apierrors.NewBadRequest("unable to terminate operation: no operation is in progress")
		}
		if app.Status.OperationState == nil {
			// Not picked up yet: record it as started and terminating so the
			// operation processor finishes it like any other terminated operation.
			app.Status.OperationState = &capstan.OperationState{
				Operation: *app.Operation.DeepCopy(),
				StartedAt: metav1.Now(),
			}
		}
		app.Status.OperationState.Phase = capstan.OperationTerminating
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := req.DeepCopy()
	out.Name = name
	out.Namespace = genericapirequest.NamespaceValue(ctx)
	out.Status = capstan.ApplicationTerminateRequestStatus{
		Phase:   capstan.OperationTerminating,
		Message: "operation is terminating",
	}
	return out, nil
}
