package compare

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/diff"
)

// ErrComparison wraps failures that leave no diff to show, such as a render error.
var ErrComparison = errors.New("comparison failed")

// Diff computes the ApplicationDiff of app now: one item per managed resource
// with its status, a unified text diff and the normalized objects, Secret
// values masked. It asks the destination for a fresh dry-run of every resource.
func (c *Comparer) Diff(ctx context.Context, app *v1alpha1.Application, revision string, hard bool) (*v1alpha1.ApplicationDiff, error) {
	opts := Options{Revision: revision, Hard: hard}
	result := c.Compare(ctx, app, opts)
	if result.Cluster == nil {
		return nil, fmt.Errorf("%w: %s", ErrComparison, conditionMessages(result.Conditions))
	}
	out := &v1alpha1.ApplicationDiff{ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace}}
	if result.Target != nil {
		out.Revision = result.Target.Revision
	}
	rules := c.ignoreRules(app)
	applier := DryRunApplier{Cluster: result.Cluster}
	for _, resource := range result.Resources {
		key := keyOf(resource)
		compared, err := diff.Compare(ctx, result.Targets[key], result.Live[key], applier, rules)
		if err != nil {
			return nil, err
		}
		text, err := diff.TextDiff(key.String(), compared.Live, compared.Predicted)
		if err != nil {
			return nil, err
		}
		masked := diff.MaskSecrets(compared.Predicted, compared.Live)
		status := string(resource.Status)
		switch {
		case resource.RequiresPruning:
			status = "RequiresPruning"
		case result.Live[key] == nil:
			status = "Missing"
		}
		out.Items = append(out.Items, v1alpha1.ResourceDiffItem{
			Group: resource.Group, Kind: resource.Kind, Namespace: resource.Namespace, Name: resource.Name,
			Status: status, Diff: text, Target: raw(masked[0]), Live: raw(masked[1]),
		})
	}
	return out, nil
}

// Manifests renders app's target state as its sources produce it.
func (c *Comparer) Manifests(ctx context.Context, app *v1alpha1.Application, revision string, hard bool) (*v1alpha1.ApplicationManifests, error) {
	opts := Options{Revision: revision, Hard: hard}
	destination, err := c.Clusters.For(app.Spec.Destination)
	if err != nil {
		return nil, err
	}
	kubeVersion, apiVersions, err := destination.Versions()
	if err != nil {
		return nil, err
	}
	desired, err := c.Targets.Target(ctx, app, targetOptions(kubeVersion, apiVersions, opts))
	if err != nil {
		return nil, err
	}
	out := &v1alpha1.ApplicationManifests{ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace}}
	out.Revisions = desired.Revisions
	if desired.Revision != "" {
		out.Revisions = []string{desired.Revision}
	}
	for _, obj := range diff.MaskSecrets(desired.Objects...) {
		out.Manifests = append(out.Manifests, *raw(obj))
	}
	return out, nil
}

func raw(obj *unstructured.Unstructured) *runtime.RawExtension {
	if obj == nil {
		return nil
	}
	data, err := obj.MarshalJSON()
	if err != nil {
		return nil
	}
	return &runtime.RawExtension{Raw: data}
}

func conditionMessages(conditions []v1alpha1.ApplicationCondition) string {
	message := ""
	for i, condition := range conditions {
		if i > 0 {
			message += "; "
		}
		message += condition.Message
	}
	return message
}
