package application

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/actions"
	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/compare"
)

// ActionsREST is the storage of applications/actions: POST runs a resource
// action (restart, Rollout promote, CronJob create-job, a Lua action of
// argocd-cm…) on one resource of the Application. RBAC on
// `create applications/actions` lets the caller ask; the project's rules
// for the resource, and the identity a sync of the Application uses, bound
// what the action may change.
type ActionsREST struct {
	call engineCall
}

var (
	_ rest.NamedCreater = &ActionsREST{}
	_ rest.Scoper       = &ActionsREST{}
)

// New returns an empty ApplicationActionRequest.
func (r *ActionsREST) New() runtime.Object { return &capstan.ApplicationActionRequest{} }

// Destroy releases nothing: the store belongs to the applications resource.
func (r *ActionsREST) Destroy() {}

// NamespaceScoped is true: actions run on an Application of a namespace.
func (r *ActionsREST) NamespaceScoped() bool { return true }

// Create runs the action and answers with the request and what it changed.
// A dry run is refused: an action's effect cannot be previewed.
func (r *ActionsREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	req, ok := obj.(*capstan.ApplicationActionRequest)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not an ApplicationActionRequest: %T", obj))
	}
	if err := checkRequestName(name, req.Name); err != nil {
		return nil, err
	}
	if errs := validateActionRequest(req); len(errs) > 0 {
		return nil, apierrors.NewInvalid(capstan.Kind("ApplicationActionRequest"), name, errs)
	}
	if options != nil && len(options.DryRun) > 0 {
		return nil, apierrors.NewBadRequest("resource actions cannot be dry-run")
	}
	if createValidation != nil {
		if err := createValidation(ctx, req.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	app, err := r.call.application(ctx, name)
	if err != nil {
		return nil, err
	}
	inspect, err := r.call.access.inspectOptions(ctx, app, "", false)
	if err != nil {
		return nil, err
	}
	request := &v1alpha1.ApplicationActionRequest{}
	if err := r.call.scheme.Convert(req, request, nil); err != nil {
		return nil, err
	}
	done, err := r.call.engine.RunAction(ctx, app, inspect, request)
	switch {
	case errors.Is(err, compare.ErrNotAResource):
		return nil, apierrors.NewNotFound(capstan.Resource("applications"), fmt.Sprintf("%s: %v", name, err))
	case errors.Is(err, actions.ErrUnknownAction):
		return nil, apierrors.NewBadRequest(fmt.Sprintf("application %s: %v", name, err))
	case err != nil:
		return nil, engineError(name, err)
	}
	return r.call.internal(done, &capstan.ApplicationActionRequest{})
}

// validateActionRequest checks the request names a resource and an action.
func validateActionRequest(req *capstan.ApplicationActionRequest) field.ErrorList {
	var errs field.ErrorList
	if req.Action == "" {
		errs = append(errs, field.Required(field.NewPath("action"), "the name of the action to run"))
	}
	if req.Resource.Kind == "" {
		errs = append(errs, field.Required(field.NewPath("resource", "kind"), ""))
	}
	if req.Resource.Name == "" {
		errs = append(errs, field.Required(field.NewPath("resource", "name"), ""))
	}
	return errs
}
