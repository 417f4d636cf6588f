package applicationset

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/generators"
	"capstan.dev/capstan/pkg/project"
	"capstan.dev/capstan/pkg/registry/capstan/application"
)

// PreviewConfig is what the preview subresource needs from the server.
type PreviewConfig struct {
	// Generators run ApplicationSets' generators; nil makes previews answer 503.
	Generators *generators.Generators
	// SyncPolicy and AllowPolicyOverride are the controller's policy settings.
	SyncPolicy          v1alpha1.ApplicationsSyncPolicy
	AllowPolicyOverride bool
	// Applications lists the Applications of a namespace.
	Applications func(ctx context.Context, namespace string) ([]*v1alpha1.Application, error)
	// Access decides what callers may preview.
	Access Access
}

// Access holds the project rules and the authorizer previews are checked with.
type Access struct {
	// Policy holds the server-wide project settings (control namespaces).
	Policy project.Policy
	// Project returns the named AppProject, nil when it does not exist.
	Project func(ctx context.Context, name string) (*v1alpha1.AppProject, error)
	// Authorizer answers whether the caller may read what a preview reads;
	// nil allows everything (a server without authorization, in tests).
	Authorizer authorizer.UnconditionalAuthorizer
}

var applicationsResource = v1alpha1.SchemeGroupVersion.WithResource("applications")

// projectAccepts refuses a candidate its project would refuse at admission.
func (a Access) projectAccepts(ctx context.Context, appSet *v1alpha1.ApplicationSet) error {
	name := appSet.Spec.Template.Spec.Project
	if name == "" {
		name = v1alpha1.DefaultAppProjectName
	}
	if project.Templated(name) || a.Project == nil {
		return nil
	}
	proj, err := a.Project(ctx, name)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("read AppProject %s: %w", name, err))
	}
	if refusal := a.Policy.ApplicationSetRefusal(proj, appSet); refusal != nil {
		return apierrors.NewForbidden(capstan.Resource("applicationsets"), appSet.Name,
			fmt.Errorf("AppProject %s (%s): %w", refusal.Project, refusal.Rule, refusal))
	}
	return nil
}

// authorize is the generators' AuthorizeFunc for a caller: a 403 naming
// what the caller may not read.
func (a Access) authorize(ctx context.Context, verb string, resource schema.GroupVersionResource, namespace, name string) error {
	if a.Authorizer == nil {
		return nil
	}
	allowed, err := application.Allowed(ctx, a.Authorizer, verb, resource, namespace, name)
	if allowed {
		return nil
	}
	what := resource.Resource
	if name != "" {
		what += " " + name
	}
	message := fmt.Sprintf("previewing this ApplicationSet reads %s in namespace %s, which you may not %s", what, namespace, verb)
	if err != nil {
		message += fmt.Sprintf(" (%v)", err)
	}
	return apierrors.NewForbidden(capstan.Resource("applicationsets"), "preview", fmt.Errorf("%s", message))
}
