package applicationset

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	jsonpatch "github.com/evanphx/json-patch"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/plan"
)

const mergePatch = types.MergePatchType

func patchOptions() metav1.PatchOptions { return metav1.PatchOptions{FieldManager: FieldManager} }

// applyOptions take ownership of the fields written: generated Applications
// are kept equal to the template, as in Argo CD.
func applyOptions() metav1.PatchOptions {
	return metav1.PatchOptions{FieldManager: FieldManager, Force: ptr.To(true)}
}

// create writes a new generated Application with server-side apply.
func (c *Controller) create(ctx context.Context, app *v1alpha1.Application) error {
	managed, err := plan.ManagedOf(app)
	if err != nil {
		return err
	}
	_, err = c.applyManaged(ctx, app.Namespace, app.Name, managed)
	return err
}

// update applies the managed part of an Application. Fields another
// manager added that the template does not want (a label set by hand) are
// not removed by an apply, so a merge patch removes them afterwards.
func (c *Controller) update(ctx context.Context, change plan.Change) error {
	applied, err := c.applyManaged(ctx, change.Live.Namespace, change.Name, change.Written)
	if err != nil {
		return err
	}
	got, err := plan.ManagedOf(applied)
	if err != nil {
		return err
	}
	if reflect.DeepEqual(got, change.Written) {
		return nil
	}
	from, err := json.Marshal(got)
	if err != nil {
		return err
	}
	to, err := json.Marshal(change.Written)
	if err != nil {
		return err
	}
	patch, err := jsonpatch.CreateMergePatch(from, to)
	if err != nil {
		return err
	}
	patch, err = withResourceVersion(patch, applied.ResourceVersion)
	if err != nil {
		return err
	}
	klog.FromContext(ctx).V(2).Info("Removing fields other managers set on a generated Application", "application", change.Name)
	_, err = c.client.CapstanV1alpha1().Applications(applied.Namespace).Patch(ctx, change.Name, mergePatch, patch, patchOptions())
	return err
}

// applyManaged server-side applies the managed part of an Application.
func (c *Controller) applyManaged(ctx context.Context, namespace, name string, managed plan.Managed) (*v1alpha1.Application, error) {
	body := map[string]any{}
	for key, value := range managed {
		body[key] = value
	}
	metadata := map[string]any{}
	if existing, ok := managed["metadata"].(map[string]any); ok {
		for key, value := range existing {
			metadata[key] = value
		}
	}
	metadata["name"], metadata["namespace"] = name, namespace
	body["metadata"] = metadata
	body["apiVersion"], body["kind"] = v1alpha1.SchemeGroupVersion.String(), "Application"
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return c.client.CapstanV1alpha1().Applications(namespace).Patch(ctx, name, types.ApplyPatchType, data, applyOptions())
}

// withResourceVersion adds a resourceVersion precondition to a merge patch.
func withResourceVersion(patch []byte, resourceVersion string) ([]byte, error) {
	document := map[string]any{}
	if err := json.Unmarshal(patch, &document); err != nil {
		return nil, err
	}
	metadata, _ := document["metadata"].(map[string]any)
	if metadata == nil {
		metadata = map[string]any{}
	}
	metadata["resourceVersion"] = resourceVersion
	document["metadata"] = metadata
	return json.Marshal(document)
}

// delete deletes a generated Application that is no longer generated. When
// its destination cluster no longer exists, its resources finalizer could
// never complete, so it is removed first, as Argo CD does.
func (c *Controller) delete(ctx context.Context, app *v1alpha1.Application) error {
	apps := c.client.CapstanV1alpha1().Applications(app.Namespace)
	if hasResourcesFinalizer(app) && !c.destinationExists(ctx, app.Spec.Destination) {
		kept := slices.DeleteFunc(slices.Clone(app.Finalizers), isResourcesFinalizer)
		patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
			"finalizers": kept, "resourceVersion": app.ResourceVersion,
		}})
		if err != nil {
			return err
		}
		klog.FromContext(ctx).Info("Removing the resources finalizer of an Application whose destination cluster is gone",
			"application", klog.KObj(app), "server", app.Spec.Destination.Server, "name", app.Spec.Destination.Name)
		if _, err := apps.Patch(ctx, app.Name, mergePatch, patch, patchOptions()); err != nil {
			return fmt.Errorf("remove the resources finalizer: %w", err)
		}
	}
	err := apps.Delete(ctx, app.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &app.UID}})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func isResourcesFinalizer(finalizer string) bool {
	return strings.HasPrefix(finalizer, v1alpha1.ResourcesFinalizerName)
}

func hasResourcesFinalizer(app *v1alpha1.Application) bool {
	return slices.ContainsFunc(app.Finalizers, isResourcesFinalizer)
}

// destinationExists tells whether a destination names a known cluster;
// without a cluster source every destination is assumed to exist.
func (c *Controller) destinationExists(ctx context.Context, destination v1alpha1.ApplicationDestination) bool {
	if c.options.Clusters == nil {
		return true
	}
	clusters, err := c.options.Clusters.Clusters(ctx)
	if err != nil {
		return true
	}
	for _, cluster := range clusters {
		sameServer := destination.Server != "" && strings.TrimRight(cluster.Server, "/") == strings.TrimRight(destination.Server, "/")
		sameName := destination.Server == "" && destination.Name != "" && cluster.Name == destination.Name
		if sameServer || sameName {
			return true
		}
	}
	return false
}
