package application

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/inspect"
	"capstan.dev/capstan/pkg/project"
)

// Access decides what callers of the diff and manifests subresources may
// see: only what the Application's project permits, as a sync would, and in
// the in-cluster destination only the live objects the caller may get.
type Access struct {
	// Policy holds the server-wide project settings (control namespaces).
	Policy project.Policy
	// Project returns the named AppProject, nil when it does not exist. Nil
	// enforces no project (a server without projects, in tests).
	Project func(ctx context.Context, name string) (*v1alpha1.AppProject, error)
	// Authorizer answers whether the caller may get a live object; nil shows
	// every live object.
	Authorizer authorizer.UnconditionalAuthorizer
}

// inspectOptions checks app against its project and returns the options of
// the engine call: a refusal is a 403 naming the rule; a missing project is
// left to the engine, which fails as a comparison does.
func (a Access) inspectOptions(ctx context.Context, app *v1alpha1.Application, revision string, hard bool) (inspect.Options, error) {
	opts := inspect.Options{Revision: revision, Hard: hard, MayRead: a.mayRead, MayList: a.mayList}
	if a.Project == nil {
		return opts, nil
	}
	name := project.NameOf(app.Spec.Project)
	proj, err := a.Project(ctx, name)
	if err != nil {
		return opts, apierrors.NewInternalError(fmt.Errorf("read AppProject %s: %w", name, err))
	}
	if proj == nil {
		opts.ProjectMissing = true
		return opts, nil
	}
	if refusal := a.Policy.ApplicationRefusal(proj, app); refusal != nil {
		return opts, apierrors.NewForbidden(capstan.Resource("applications"), app.Name,
			fmt.Errorf("AppProject %s (%s): %w", refusal.Project, refusal.Rule, refusal))
	}
	opts.Project = proj
	return opts, nil
}

// mayRead asks the authorizer whether the request's user may get resource
// in namespace.
func (a Access) mayRead(ctx context.Context, resource schema.GroupVersionResource, namespace string) (bool, error) {
	if a.Authorizer == nil {
		return true, nil
	}
	return Allowed(ctx, a.Authorizer, "get", resource, namespace, "")
}

// mayList asks the authorizer whether the request's user may list resource
// in namespace.
func (a Access) mayList(ctx context.Context, resource schema.GroupVersionResource, namespace string) (bool, error) {
	if a.Authorizer == nil {
		return true, nil
	}
	return Allowed(ctx, a.Authorizer, "list", resource, namespace, "")
}

// Allowed asks authz whether the request's user may verb resource (named
// name, or any when empty) in namespace.
func Allowed(ctx context.Context, authz authorizer.UnconditionalAuthorizer, verb string, resource schema.GroupVersionResource, namespace, name string) (bool, error) {
	requester, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return false, errors.New("the request has no user")
	}
	decision, _, err := authz.Authorize(ctx, authorizer.AttributesRecord{
		User: requester, Verb: verb, ResourceRequest: true,
		APIGroup: resource.Group, APIVersion: resource.Version, Resource: resource.Resource, Namespace: namespace, Name: name,
	})
	if decision == authorizer.DecisionAllow {
		return true, nil
	}
	return false, err
}

// manualSyncAllowed tells whether the sync windows of app's project let a
// manual sync start now, and why not. A project that does not exist has no
// windows: the controller reports the missing project.
func (a Access) manualSyncAllowed(ctx context.Context, app *capstan.Application) (bool, string, error) {
	if a.Project == nil {
		return true, "", nil
	}
	proj, err := a.Project(ctx, project.NameOf(app.Spec.Project))
	if err != nil || proj == nil || len(proj.Spec.SyncWindows) == 0 {
		return err == nil, "", err
	}
	served := &v1alpha1.Application{}
	if err := v1alpha1.Convert_capstan_Application_To_v1alpha1_Application(app, served, nil); err != nil {
		return false, "", fmt.Errorf("convert application %s: %w", app.Name, err)
	}
	return project.WindowsAllow(project.WindowsInput{Windows: proj.Spec.SyncWindows, App: served, Manual: true, Now: time.Now()})
}
