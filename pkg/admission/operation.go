package admission

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/project"
	"capstan.dev/capstan/pkg/registry/capstan/application"
)

// OperationWritten tells whether an update (old set) or a create (old nil)
// writes a new operation: one that differs from the stored one in more than
// who initiated it.
func OperationWritten(old, app *capstan.Application) bool {
	var before *capstan.Operation
	if old != nil {
		before = old.Operation
	}
	return application.OperationChanged(before, app.Operation)
}

// checkOperation refuses an operation written through the main endpoint
// (update, patch, apply, create) by a user who may not create
// applications/sync, or that the project's sync windows block now: writing
// operation is a sync, and needs what the sync subresource needs.
func (p *Plugin) checkOperation(ctx context.Context, a admission.Attributes, app *capstan.Application) error {
	requester := a.GetUserInfo()
	if requester == nil {
		return admission.NewForbidden(a, fmt.Errorf("writing operation is a sync, and the request has no user"))
	}
	if slices.Contains(requester.GetGroups(), user.SystemPrivilegedGroup) {
		// The in-process controllers (the loopback user) and cluster
		// administrators: the sync subresource would not refuse them either.
		return nil
	}
	decision, reason, err := p.authorizer.Authorize(ctx, authorizer.AttributesRecord{
		User:            requester,
		Verb:            "create",
		APIGroup:        capstan.GroupName,
		APIVersion:      a.GetResource().Version,
		Resource:        "applications",
		Subresource:     "sync",
		Namespace:       a.GetNamespace(),
		Name:            app.Name,
		ResourceRequest: true,
	})
	if decision != authorizer.DecisionAllow {
		message := fmt.Sprintf("writing operation is a sync: user %q may not create applications/sync in namespace %q", requester.GetName(), a.GetNamespace())
		if reason != "" {
			message += ": " + reason
		}
		if err != nil {
			message += fmt.Sprintf(" (authorization error: %v)", err)
		}
		return admission.NewForbidden(a, fmt.Errorf("%s", message))
	}
	return p.checkSyncWindows(a, app)
}

// checkSyncWindows refuses a manual sync that the sync windows of the
// Application's project block now, as the sync subresource does.
func (p *Plugin) checkSyncWindows(a admission.Attributes, app *capstan.Application) error {
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("not yet ready to check sync windows"))
	}
	name := project.NameOf(app.Spec.Project)
	proj, err := p.projects.Get(name)
	if apierrors.IsNotFound(err) || err == nil && len(proj.Spec.SyncWindows) == 0 {
		return nil
	}
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("read AppProject %s: %w", name, err))
	}
	served := &v1alpha1.Application{}
	if err := v1alpha1.Convert_capstan_Application_To_v1alpha1_Application(app, served, nil); err != nil {
		return apierrors.NewInternalError(fmt.Errorf("convert Application %s: %w", app.Name, err))
	}
	allowed, reason, err := project.WindowsAllow(project.WindowsInput{Windows: proj.Spec.SyncWindows, App: served, Manual: true, Now: p.now()})
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("evaluate the sync windows of AppProject %s: %w", name, err))
	}
	if !allowed {
		return admission.NewForbidden(a, fmt.Errorf("cannot sync: blocked by sync window (%s)", reason))
	}
	return nil
}
