// Package admission is capstan-apiserver's admission plugin: it refuses
// Applications and ApplicationSets whose AppProject does not accept them, and
// operations written by users who may not sync, before anything is stored.
// The rules themselves live in pkg/project; this package only applies them to
// requests.
package admission

import (
	"context"
	"errors"
	"fmt"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/warning"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	listers "capstan.dev/capstan/pkg/generated/listers/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/project"
)

// PluginName is the name of the plugin in --enable-admission-plugins and
// --disable-admission-plugins.
const PluginName = "CapstanProject"

// Plugin checks creates and spec changes of Applications and ApplicationSets
// against their AppProject, and writes of an Application's operation against
// the writer's right to sync.
type Plugin struct {
	*admission.Handler
	policy     project.Policy
	projects   listers.AppProjectLister
	authorizer authorizer.UnconditionalAuthorizer
	// now tells the time sync windows are evaluated at.
	now func() time.Time
}

var (
	_ admission.ValidationInterface            = &Plugin{}
	_ initializer.WantsUnconditionalAuthorizer = &Plugin{}
	_ WantsProjects                            = &Plugin{}
)

// New returns the plugin; the initializers give it the projects and the authorizer.
func New(policy project.Policy) *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create, admission.Update), policy: policy, now: time.Now}
}

// SetUnconditionalAuthorizer is the authorizer that decides whether the
// writer of an operation may create applications/sync.
func (p *Plugin) SetUnconditionalAuthorizer(a authorizer.UnconditionalAuthorizer) { p.authorizer = a }

// SetProjects gives the plugin the AppProjects; it is ready once they synced.
func (p *Plugin) SetProjects(projects listers.AppProjectLister, synced func() bool) {
	p.projects = projects
	p.SetReadyFunc(synced)
}

// ValidateInitialization makes sure both initializers ran.
func (p *Plugin) ValidateInitialization() error {
	if p.projects == nil {
		return errors.New(PluginName + ": no AppProject lister")
	}
	if p.authorizer == nil {
		return errors.New(PluginName + ": no authorizer")
	}
	return nil
}

// Validate refuses, with 403 and the rule named, what the project or the
// writer's rights do not allow. Subresources (status, sync, …) are not
// checked here: RBAC on each subresource is their gate.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetSubresource() != "" || a.GetKind().Group != capstan.GroupName {
		return nil
	}
	switch a.GetKind().Kind {
	case "Application":
		return p.validateApplication(ctx, a)
	case "ApplicationSet":
		return p.validateApplicationSet(ctx, a)
	}
	return nil
}

func (p *Plugin) validateApplication(ctx context.Context, a admission.Attributes) error {
	app, ok := a.GetObject().(*capstan.Application)
	if !ok {
		return nil
	}
	old, _ := a.GetOldObject().(*capstan.Application)
	if old == nil || !apiequality.Semantic.DeepEqual(old.Spec, app.Spec) {
		if err := p.checkApplicationProject(ctx, a, app); err != nil {
			return err
		}
	}
	if OperationWritten(old, app) {
		return p.checkOperation(ctx, a, app)
	}
	return nil
}

func (p *Plugin) checkApplicationProject(ctx context.Context, a admission.Attributes, app *capstan.Application) error {
	if !p.WaitForReady() {
		return admission.NewForbidden(a, errors.New("not yet ready to check AppProjects"))
	}
	proj, err := p.project(ctx, app.Spec.Project, "Application", app.Namespace, app.Name)
	if err != nil || proj == nil {
		return err
	}
	served := &v1alpha1.Application{}
	if err := v1alpha1.Convert_capstan_Application_To_v1alpha1_Application(app, served, nil); err != nil {
		return apierrors.NewInternalError(fmt.Errorf("convert Application %s: %w", app.Name, err))
	}
	if refusal := p.policy.ApplicationRefusal(proj, served); refusal != nil {
		return forbidden(a, refusal)
	}
	return nil
}

func (p *Plugin) validateApplicationSet(ctx context.Context, a admission.Attributes) error {
	appSet, ok := a.GetObject().(*capstan.ApplicationSet)
	if !ok {
		return nil
	}
	old, _ := a.GetOldObject().(*capstan.ApplicationSet)
	if old != nil && apiequality.Semantic.DeepEqual(old.Spec, appSet.Spec) {
		return nil
	}
	projectName := appSet.Spec.Template.Spec.Project
	if project.Templated(projectName) {
		// Known only per generated Application; the controller checks those.
		return nil
	}
	if !p.WaitForReady() {
		return admission.NewForbidden(a, errors.New("not yet ready to check AppProjects"))
	}
	proj, err := p.project(ctx, projectName, "ApplicationSet", appSet.Namespace, appSet.Name)
	if err != nil || proj == nil {
		return err
	}
	served := &v1alpha1.ApplicationSet{}
	if err := v1alpha1.Convert_capstan_ApplicationSet_To_v1alpha1_ApplicationSet(appSet, served, nil); err != nil {
		return apierrors.NewInternalError(fmt.Errorf("convert ApplicationSet %s: %w", appSet.Name, err))
	}
	if refusal := p.policy.ApplicationSetRefusal(proj, served); refusal != nil {
		return forbidden(a, refusal)
	}
	return nil
}

// project returns the named AppProject ("default" when empty), or nil with
// an admission warning when it does not exist yet: `kubectl apply -f dir/`
// must not depend on file order, and the controller reports a project that
// is still missing as InvalidSpecError, as Argo CD does.
func (p *Plugin) project(ctx context.Context, name, kind, namespace, objectName string) (*v1alpha1.AppProject, error) {
	name = project.NameOf(name)
	proj, err := p.projects.Get(name)
	if apierrors.IsNotFound(err) {
		warning.AddWarning(ctx, "", fmt.Sprintf("%s %s/%s: AppProject %q does not exist; the %s does nothing until it does",
			kind, namespace, objectName, name, kind))
		return nil, nil
	}
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("read AppProject %s: %w", name, err))
	}
	return proj, nil
}

// forbidden is the 403 of a project refusal; the message names the project and the rule.
func forbidden(a admission.Attributes, refusal *project.Refusal) error {
	return admission.NewForbidden(a, fmt.Errorf("AppProject %s (%s): %w", refusal.Project, refusal.Rule, refusal))
}
