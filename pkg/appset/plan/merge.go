package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	jsonpatch "github.com/evanphx/json-patch"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/diff"
)

// defaultPreservedAnnotations survive every update of a generated
// Application, as in Argo CD: the notification state and a pending refresh.
var defaultPreservedAnnotations = []string{"notified.notifications.argoproj.io", "argocd.argoproj.io/refresh"}

// preservedFinalizerPrefixes are finalizers the Application controller adds
// to generated Applications (for deletion hooks); an update keeps them.
var preservedFinalizerPrefixes = []string{v1alpha1.PreDeleteFinalizerName, v1alpha1.PostDeleteFinalizerName}

// Managed is the part of a generated Application the ApplicationSet
// controller owns and writes: labels, annotations, finalizers, owner
// references and spec, as decoded JSON.
type Managed map[string]any

// ManagedOf extracts the managed part of app, with finalizers and owner
// references sorted so that their order never counts as a change.
func ManagedOf(app *v1alpha1.Application) (Managed, error) {
	finalizers := slices.Clone(app.Finalizers)
	sort.Strings(finalizers)
	owners := slices.Clone(app.OwnerReferences)
	sort.Slice(owners, func(i, j int) bool { return owners[i].UID < owners[j].UID })
	view := struct {
		Metadata struct {
			Labels          map[string]string `json:"labels,omitempty"`
			Annotations     map[string]string `json:"annotations,omitempty"`
			Finalizers      []string          `json:"finalizers,omitempty"`
			OwnerReferences any               `json:"ownerReferences,omitempty"`
		} `json:"metadata"`
		Spec v1alpha1.ApplicationSpec `json:"spec"`
	}{}
	view.Metadata.Labels = app.Labels
	view.Metadata.Annotations = app.Annotations
	view.Metadata.Finalizers = finalizers
	if len(owners) > 0 {
		view.Metadata.OwnerReferences = owners
	}
	view.Spec = NormalizeSpec(app.Spec)
	data, err := json.Marshal(view)
	if err != nil {
		return nil, err
	}
	managed := Managed{}
	if err := json.Unmarshal(data, &managed); err != nil {
		return nil, err
	}
	return managed, nil
}

// withLive completes a desired Application with what the live one keeps
// across updates: preserved annotations and labels, the Application
// controller's deletion-hook finalizers, and owner references other than
// the ApplicationSet's.
func withLive(appSet *v1alpha1.ApplicationSet, desired, live *v1alpha1.Application) *v1alpha1.Application {
	merged := desired.DeepCopy()
	var annotations, labels []string
	if fields := appSet.Spec.PreservedFields; fields != nil {
		annotations, labels = fields.Annotations, fields.Labels
	}
	annotations = append(slices.Clone(annotations), defaultPreservedAnnotations...)
	for _, key := range annotations {
		if value, ok := live.Annotations[key]; ok {
			if merged.Annotations == nil {
				merged.Annotations = map[string]string{}
			}
			merged.Annotations[key] = value
		}
	}
	for _, key := range labels {
		if value, ok := live.Labels[key]; ok {
			if merged.Labels == nil {
				merged.Labels = map[string]string{}
			}
			merged.Labels[key] = value
		}
	}
	for _, finalizer := range live.Finalizers {
		for _, prefix := range preservedFinalizerPrefixes {
			if strings.HasPrefix(finalizer, prefix) && !slices.Contains(merged.Finalizers, finalizer) {
				merged.Finalizers = append(merged.Finalizers, finalizer)
			}
		}
	}
	for _, owner := range live.OwnerReferences {
		if owner.Controller == nil || !*owner.Controller {
			merged.OwnerReferences = append(merged.OwnerReferences, owner)
		}
	}
	return merged
}

// update computes what updating live to desired writes: the managed part of
// desired, except the fields ignoreApplicationDifferences names, which keep
// their live values (Argo CD removes them from both sides and patches the
// difference, so lists are replaced whole). changed is false when nothing
// but ignored fields differ.
func update(ctx context.Context, appSet *v1alpha1.ApplicationSet, desired, live *v1alpha1.Application) (written Managed, changed bool, err error) {
	desiredView, err := ManagedOf(desired)
	if err != nil {
		return nil, false, err
	}
	liveView, err := ManagedOf(live)
	if err != nil {
		return nil, false, err
	}
	rules := ignoreRules(appSet, desired.Name)
	if rules == nil {
		return desiredView, !reflect.DeepEqual(desiredView, liveView), nil
	}
	normalizedDesired, err := ignore(ctx, rules, desiredView)
	if err != nil {
		return nil, false, err
	}
	normalizedLive, err := ignore(ctx, rules, liveView)
	if err != nil {
		return nil, false, err
	}
	if reflect.DeepEqual(normalizedDesired, normalizedLive) {
		return liveView, false, nil
	}
	written, err = patchBetween(liveView, normalizedLive, normalizedDesired)
	if err != nil {
		return nil, false, err
	}
	return written, !reflect.DeepEqual(written, liveView), nil
}

// ignoreRules are the ignoreApplicationDifferences rules that apply to the
// Application called name, nil when none does.
func ignoreRules(appSet *v1alpha1.ApplicationSet, name string) *diff.IgnoreRules {
	var rules []v1alpha1.ResourceIgnoreDifferences
	for _, rule := range appSet.Spec.IgnoreApplicationDifferences {
		if rule.Name != "" && rule.Name != name {
			continue
		}
		rules = append(rules, v1alpha1.ResourceIgnoreDifferences{
			Group: "*", Kind: "*", JSONPointers: rule.JSONPointers, JQPathExpressions: rule.JQPathExpressions,
		})
	}
	if len(rules) == 0 {
		return nil
	}
	return diff.NewIgnoreRules(0, rules)
}

// ignore removes the ignored fields from a copy of a managed view.
func ignore(ctx context.Context, rules *diff.IgnoreRules, view Managed) (Managed, error) {
	object, err := copyManaged(view)
	if err != nil {
		return nil, err
	}
	// The identity fields let the rules' own checks run; they are dropped again.
	object["apiVersion"], object["kind"] = v1alpha1.SchemeGroupVersion.String(), "Application"
	obj := &unstructured.Unstructured{Object: object}
	if err := rules.Apply(ctx, obj); err != nil {
		return nil, fmt.Errorf("ignoreApplicationDifferences: %w", err)
	}
	delete(obj.Object, "apiVersion")
	delete(obj.Object, "kind")
	return Managed(obj.Object), nil
}

// patchBetween applies to live the JSON merge patch that turns
// normalizedLive into normalizedDesired.
func patchBetween(live, normalizedLive, normalizedDesired Managed) (Managed, error) {
	from, err := json.Marshal(normalizedLive)
	if err != nil {
		return nil, err
	}
	to, err := json.Marshal(normalizedDesired)
	if err != nil {
		return nil, err
	}
	patch, err := jsonpatch.CreateMergePatch(from, to)
	if err != nil {
		return nil, fmt.Errorf("ignoreApplicationDifferences: %w", err)
	}
	original, err := json.Marshal(live)
	if err != nil {
		return nil, err
	}
	patched, err := jsonpatch.MergePatch(original, patch)
	if err != nil {
		return nil, fmt.Errorf("ignoreApplicationDifferences: %w", err)
	}
	written := Managed{}
	if err := json.Unmarshal(patched, &written); err != nil {
		return nil, err
	}
	return written, nil
}

func copyManaged(view Managed) (map[string]any, error) {
	data, err := json.Marshal(view)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	return out, json.Unmarshal(data, &out)
}
