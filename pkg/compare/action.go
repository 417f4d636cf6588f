package compare

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	jsonpatch "github.com/evanphx/json-patch"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/inspect"
	"capstan.dev/capstan/pkg/project"
)

// ErrNotAResource is returned when an action names a resource that is not one
// of the Application's.
var ErrNotAResource = errors.New("not a resource of the application")

// ActionFieldManager is the field manager of what resource actions write. It
// is not the syncs' FieldManager: a sync hands the fields its own manager set
// by other means than apply over to its apply (ClientSideApplyMigration) and
// then removes those the target does not set, which would undo an action
// (a restart's restartedAt, and with it start another rollout) at the next
// sync, where Argo CD keeps it.
const ActionFieldManager = "capstan-action"

// RunAction runs a resource action on one of app's resources and applies
// what it changes, as a sync of app would write: with the client of
// WriteClient (the project's ServiceAccount with impersonation), and only
// where the project's rules permit the resource (and every object the
// action creates). The request comes back with its status filled in.
func (c *Comparer) RunAction(ctx context.Context, app *v1alpha1.Application, opts inspect.Options, req *v1alpha1.ApplicationActionRequest) (*v1alpha1.ApplicationActionRequest, error) {
	if opts.ProjectMissing {
		return nil, fmt.Errorf("Application referencing project %s which does not exist", app.Spec.Project)
	}
	if refusal := c.Policy.ApplicationRefusal(opts.Project, app); refusal != nil {
		return nil, refusal
	}
	ref := req.Resource
	resource, ok := findResource(app, ref)
	if !ok {
		return nil, fmt.Errorf("%s %s/%s: %w %s", ref.Kind, ref.Namespace, ref.Name, ErrNotAResource, app.Name)
	}
	destination, err := c.Destination(app, opts.Project)
	if err != nil {
		return nil, err
	}
	client, err := c.WriteClient(app, opts.Project, destination)
	if err != nil {
		return nil, err
	}
	version := ref.Version
	if version == "" {
		version = resource.Version
	}
	target, namespaced, err := resourceClient(destination.Cache.Mapping, client, schema.GroupVersionKind{Group: ref.Group, Version: version, Kind: ref.Kind}, ref.Namespace)
	if err != nil {
		return nil, err
	}
	live, err := target.Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", ref.Kind, ref.Name, err)
	}
	if refusal := project.ResourceRefusal(opts.Project, app.Spec.Destination, live, namespaced); refusal != nil {
		return nil, refusal
	}
	result, err := c.Actions.Run(ctx, live, req.Action, req.Params)
	if err != nil {
		return nil, err
	}
	out := req.DeepCopy()
	out.Name, out.Namespace = app.Name, app.Namespace
	for _, created := range result.Created {
		if err := c.createForAction(ctx, app, opts.Project, destination.Cache.Mapping, client, live, created); err != nil {
			return nil, err
		}
		out.Status.Changed = append(out.Status.Changed, refOf(created))
	}
	if result.Object != nil {
		changed, err := patchForAction(ctx, target, live, result.Object)
		if err != nil {
			return nil, err
		}
		if changed {
			out.Status.Changed = append(out.Status.Changed, refOf(live))
		}
	}
	out.Status.Message = fmt.Sprintf("action %s ran on %s %s", req.Action, ref.Kind, ref.Name)
	if len(out.Status.Changed) == 0 {
		out.Status.Message += ": nothing changed"
	}
	return out, nil
}

// findResource returns the Application's record of the resource.
func findResource(app *v1alpha1.Application, ref v1alpha1.ActionResourceRef) (v1alpha1.ResourceStatus, bool) {
	for _, resource := range app.Status.Resources {
		if resource.Group == ref.Group && resource.Kind == ref.Kind && resource.Namespace == ref.Namespace && resource.Name == ref.Name {
			return resource, true
		}
	}
	return v1alpha1.ResourceStatus{}, false
}

// resourceClient returns the client of a kind in namespace, and whether the
// kind is namespaced.
func resourceClient(mapping func(schema.GroupVersionKind) (*meta.RESTMapping, error), client dynamic.Interface, gvk schema.GroupVersionKind, namespace string) (dynamic.ResourceInterface, bool, error) {
	m, err := mapping(gvk)
	if err != nil {
		return nil, false, err
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		return client.Resource(m.Resource), false, nil
	}
	return client.Resource(m.Resource).Namespace(namespace), true, nil
}

// createForAction creates an object an action made, in the acted-on
// object's namespace unless it names one, after the project's rules.
func (c *Comparer) createForAction(ctx context.Context, app *v1alpha1.Application, proj *v1alpha1.AppProject,
	mapping func(schema.GroupVersionKind) (*meta.RESTMapping, error), client dynamic.Interface, source, created *unstructured.Unstructured) error {
	if created.GetNamespace() == "" {
		created.SetNamespace(source.GetNamespace())
	}
	target, namespaced, err := resourceClient(mapping, client, created.GroupVersionKind(), created.GetNamespace())
	if err != nil {
		return err
	}
	if !namespaced {
		created.SetNamespace("")
	}
	if refusal := project.ResourceRefusal(proj, app.Spec.Destination, created, namespaced); refusal != nil {
		return refusal
	}
	if _, err := target.Create(ctx, created, metav1.CreateOptions{FieldManager: ActionFieldManager}); err != nil {
		return fmt.Errorf("create %s %s: %w", created.GetKind(), created.GetName(), err)
	}
	return nil
}

// patchForAction writes what an action changed: a merge patch of the object
// (status left out), then one of its status subresource when the action
// changed the status. It tells whether anything was written.
func patchForAction(ctx context.Context, target dynamic.ResourceInterface, live, changed *unstructured.Unstructured) (bool, error) {
	before, after := live.DeepCopy(), changed.DeepCopy()
	statusBefore, _, _ := unstructured.NestedFieldNoCopy(before.Object, "status")
	statusAfter, _, _ := unstructured.NestedFieldNoCopy(after.Object, "status")
	unstructured.RemoveNestedField(before.Object, "status")
	unstructured.RemoveNestedField(after.Object, "status")
	wrote := false
	patch, err := mergePatch(before.Object, after.Object)
	if err != nil {
		return false, err
	}
	if patch != nil {
		if _, err := target.Patch(ctx, live.GetName(), types.MergePatchType, patch, metav1.PatchOptions{FieldManager: ActionFieldManager}); err != nil {
			return false, fmt.Errorf("patch %s %s: %w", live.GetKind(), live.GetName(), err)
		}
		wrote = true
	}
	if equality.Semantic.DeepEqual(statusBefore, statusAfter) {
		return wrote, nil
	}
	patch, err = mergePatch(map[string]any{"status": statusBefore}, map[string]any{"status": statusAfter})
	if err != nil || patch == nil {
		return wrote, err
	}
	if _, err := target.Patch(ctx, live.GetName(), types.MergePatchType, patch, metav1.PatchOptions{FieldManager: ActionFieldManager}, "status"); err != nil {
		if !apierrors.IsNotFound(err) {
			return wrote, fmt.Errorf("patch the status of %s %s: %w", live.GetKind(), live.GetName(), err)
		}
		// No status subresource: the status is part of the object.
		if _, err := target.Patch(ctx, live.GetName(), types.MergePatchType, patch, metav1.PatchOptions{FieldManager: ActionFieldManager}); err != nil {
			return wrote, fmt.Errorf("patch %s %s: %w", live.GetKind(), live.GetName(), err)
		}
	}
	return true, nil
}

// mergePatch returns the JSON merge patch from before to after, or nil
// when they are equal.
func mergePatch(before, after map[string]any) ([]byte, error) {
	original, err := json.Marshal(before)
	if err != nil {
		return nil, err
	}
	modified, err := json.Marshal(after)
	if err != nil {
		return nil, err
	}
	patch, err := jsonpatch.CreateMergePatch(original, modified)
	if err != nil {
		return nil, fmt.Errorf("compute the action's patch: %w", err)
	}
	if string(patch) == "{}" {
		return nil, nil
	}
	return patch, nil
}

func refOf(obj *unstructured.Unstructured) v1alpha1.ActionResourceRef {
	gvk := obj.GroupVersionKind()
	return v1alpha1.ActionResourceRef{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
}
