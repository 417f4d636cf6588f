package sync

import (
	"context"
	"encoding/json"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"capstan.dev/capstan/pkg/cluster"
)

// ArgoCDInstanceLabel is the label of Argo CD's label tracking (its
// application.instanceLabelKey default). Helm charts set it too, so it is
// only removed when it names the Application and the target does not set it.
const ArgoCDInstanceLabel = "app.kubernetes.io/instance"

// dropArgoCDTracking removes Argo CD's tracking metadata from an object a
// sync has just applied, when the apply left it: an object deployed by Argo
// CD with server-side apply, or created without kubectl's last-applied
// record, keeps fields that a three-way merge or Capstan's own server-side
// apply do not own. Capstan's tracking replaces Argo CD's at the first sync.
func dropArgoCDTracking(ctx context.Context, client dynamic.ResourceInterface, target, applied *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	patch := argoCDTrackingPatch(target, applied)
	if patch == nil {
		return applied, nil
	}
	return client.Patch(ctx, applied.GetName(), types.JSONPatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
}

// argoCDTrackingPatch returns a JSON patch that tests and removes Argo CD's
// tracking annotation, and its instance label when the label's value is what
// Argo CD's label tracking writes for target's Application (its name, or
// "<namespace>_<name>"); nil when there is nothing to remove. Whatever the
// target sets itself is kept.
func argoCDTrackingPatch(target, applied *unstructured.Unstructured) []byte {
	tracking, ok := cluster.TrackingOf(target)
	if !ok || applied == nil {
		return nil
	}
	var ops []map[string]any
	remove := func(field, key, value string) {
		path := "/metadata/" + field + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
		ops = append(ops, map[string]any{"op": "test", "path": path, "value": value}, map[string]any{"op": "remove", "path": path})
	}
	if value, ok := applied.GetAnnotations()[cluster.ArgoCDTrackingAnnotation]; ok {
		if _, wanted := target.GetAnnotations()[cluster.ArgoCDTrackingAnnotation]; !wanted {
			remove("annotations", cluster.ArgoCDTrackingAnnotation, value)
		}
	}
	if value, ok := applied.GetLabels()[ArgoCDInstanceLabel]; ok {
		_, appName, _ := strings.Cut(tracking.AppInstance, "_")
		_, wanted := target.GetLabels()[ArgoCDInstanceLabel]
		if !wanted && (value == appName || value == tracking.AppInstance) {
			remove("labels", ArgoCDInstanceLabel, value)
		}
	}
	if len(ops) == 0 {
		return nil
	}
	patch, _ := json.Marshal(ops)
	return patch
}
