package plan

import (
	"context"
	"fmt"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/project"
)

// Action is what happens to one Application.
type Action string

// Actions of a plan.
const (
	// Create: the Application is generated and does not exist yet.
	Create Action = "Create"
	// Update: the Application exists and differs from what is generated.
	Update Action = "Update"
	// Delete: the Application exists, is owned by the ApplicationSet and is
	// no longer generated.
	Delete Action = "Delete"
	// Unchanged: the Application exists as generated.
	Unchanged Action = "Unchanged"
	// Kept: an update or deletion the policy does not allow.
	Kept Action = "Kept"
	// Refused: the Application is generated but cannot be written: its
	// project refuses it or does not exist, its name is generated twice, or
	// another ApplicationSet owns it.
	Refused Action = "Refused"
)

// Change is the plan for one Application.
type Change struct {
	// Name of the Application.
	Name string
	// Action is what happens to it.
	Action Action
	// Desired is the generated Application (nil for Delete).
	Desired *v1alpha1.Application
	// Live is the existing Application (nil for Create).
	Live *v1alpha1.Application
	// Written is the managed part an Update writes: Desired's, except the
	// fields ignoreApplicationDifferences keeps live.
	Written Managed
	// Message explains Kept and Refused.
	Message string
}

// Options are the rules a plan follows.
type Options struct {
	// SyncPolicy is the effective applicationsSync policy.
	SyncPolicy v1alpha1.ApplicationsSyncPolicy
	// Policy holds the server-wide project settings (control namespaces).
	Policy project.Policy
	// Project returns an AppProject, nil when it does not exist.
	Project func(name string) (*v1alpha1.AppProject, error)
}

// EffectivePolicy is the applicationsSync policy an ApplicationSet runs
// under: the controller's, unless the ApplicationSet sets its own and the
// controller allows overriding (Argo CD's --enable-policy-override).
func EffectivePolicy(appSet *v1alpha1.ApplicationSet, controllerPolicy v1alpha1.ApplicationsSyncPolicy, allowOverride bool) v1alpha1.ApplicationsSyncPolicy {
	if controllerPolicy == "" {
		controllerPolicy = v1alpha1.ApplicationsSyncPolicySync
	}
	policy := appSet.Spec.SyncPolicy
	if policy == nil || policy.ApplicationsSync == nil || !allowOverride {
		return controllerPolicy
	}
	return *policy.ApplicationsSync
}

// Plan compares the desired Applications of appSet with those of its
// namespace (existing) and says what to do with each.
func Plan(ctx context.Context, appSet *v1alpha1.ApplicationSet, desired, existing []*v1alpha1.Application, opts Options) ([]Change, error) {
	byName := make(map[string]*v1alpha1.Application, len(existing))
	for _, app := range existing {
		byName[app.Name] = app
	}
	generated := map[string]bool{}
	changes := make([]Change, 0, len(desired))
	for _, app := range desired {
		change, err := planOne(ctx, appSet, app, byName[app.Name], generated[app.Name], opts)
		if err != nil {
			return nil, err
		}
		generated[app.Name] = true
		changes = append(changes, change)
	}
	for _, app := range existing {
		if generated[app.Name] || !OwnedBy(app, appSet) {
			continue
		}
		change := Change{Name: app.Name, Action: Delete, Live: app}
		if !opts.SyncPolicy.AllowDelete() {
			change.Action, change.Message = Kept, fmt.Sprintf("no longer generated; policy %s does not delete Applications", opts.SyncPolicy)
		}
		changes = append(changes, change)
	}
	return changes, nil
}

func planOne(ctx context.Context, appSet *v1alpha1.ApplicationSet, app, live *v1alpha1.Application, duplicate bool, opts Options) (Change, error) {
	change := Change{Name: app.Name, Desired: app, Live: live}
	refuse := func(format string, args ...any) (Change, error) {
		change.Action, change.Message = Refused, fmt.Sprintf(format, args...)
		return change, nil
	}
	if duplicate {
		return refuse("ApplicationSet %s contains applications with duplicate name: %s", appSet.Name, app.Name)
	}
	if opts.Project != nil {
		proj, err := opts.Project(app.Spec.Project)
		if err != nil {
			return Change{}, fmt.Errorf("read AppProject %s: %w", app.Spec.Project, err)
		}
		if proj == nil {
			return refuse("application %s references project %s which does not exist", app.Name, app.Spec.Project)
		}
		if refusal := opts.Policy.ApplicationRefusal(proj, app); refusal != nil {
			return refuse("application %s is refused by AppProject %s (%s): %s", app.Name, refusal.Project, refusal.Rule, refusal.Message)
		}
	}
	if live == nil {
		change.Action = Create
		return change, nil
	}
	if owner := ownerOf(live); owner != nil && !OwnedBy(live, appSet) {
		return refuse("application %s already exists and is owned by %s", app.Name, describeOwner(owner))
	}
	merged := withLive(appSet, app, live)
	written, changed, err := update(ctx, appSet, merged, live)
	if err != nil {
		return Change{}, fmt.Errorf("application %s: %w", app.Name, err)
	}
	change.Desired, change.Written = merged, written
	switch {
	case !changed:
		change.Action = Unchanged
	case !opts.SyncPolicy.AllowUpdate():
		change.Action, change.Message = Kept, fmt.Sprintf("differs from the template; policy %s does not update Applications", opts.SyncPolicy)
	default:
		change.Action = Update
	}
	return change, nil
}
