// Package diff compares an Application's target objects with their live state
// the way Argo CD does: normalize both, predict the live object after applying
// the target (server-side dry-run apply), and report what would change.
package diff

import (
	"encoding/base64"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// lastAppliedAnnotation is kubectl's client-side apply record; it never counts as a difference.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// ignoredMetadata are metadata fields the server owns.
var ignoredMetadata = []string{
	"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink",
}

// trackingKeys are the annotations and labels that record management and are
// not part of the desired state.
var trackingKeys = []string{
	"capstan.dev/tracking-id", "argocd.argoproj.io/tracking-id", lastAppliedAnnotation,
}

const instanceLabel = "capstan.dev/instance"

// Normalize returns a copy of obj without the fields that never count as a
// difference: server-owned metadata, tracking annotations and labels, and
// status (Argo CD's default `ignoreResourceStatusField: all`). Secret
// stringData is folded into data, as the API server does.
func Normalize(obj *unstructured.Unstructured) *unstructured.Unstructured {
	if obj == nil {
		return nil
	}
	out := obj.DeepCopy()
	for _, field := range ignoredMetadata {
		unstructured.RemoveNestedField(out.Object, "metadata", field)
	}
	if annotations := out.GetAnnotations(); annotations != nil {
		for _, key := range trackingKeys {
			delete(annotations, key)
		}
		setOrRemove(out, annotations, "annotations")
	}
	if labels := out.GetLabels(); labels != nil {
		delete(labels, instanceLabel)
		setOrRemove(out, labels, "labels")
	}
	unstructured.RemoveNestedField(out.Object, "status")
	if out.GetAPIVersion() == "v1" && out.GetKind() == "Secret" {
		foldStringData(out)
	}
	return out
}

func setOrRemove(obj *unstructured.Unstructured, values map[string]string, field string) {
	if len(values) == 0 {
		unstructured.RemoveNestedField(obj.Object, "metadata", field)
		return
	}
	m := make(map[string]interface{}, len(values))
	for k, v := range values {
		m[k] = v
	}
	_ = unstructured.SetNestedField(obj.Object, m, "metadata", field)
}

// foldStringData moves a Secret's stringData into data, base64-encoded.
func foldStringData(secret *unstructured.Unstructured) {
	stringData, found, _ := unstructured.NestedStringMap(secret.Object, "stringData")
	if !found {
		return
	}
	data, _, _ := unstructured.NestedMap(secret.Object, "data")
	if data == nil {
		data = map[string]interface{}{}
	}
	for key, value := range stringData {
		data[key] = base64.StdEncoding.EncodeToString([]byte(value))
	}
	_ = unstructured.SetNestedField(secret.Object, data, "data")
	unstructured.RemoveNestedField(secret.Object, "stringData")
}

// MaskSecrets replaces every value of the Secrets' data with a run of '+'
// whose length tells different values apart without revealing them, as Argo
// CD's HideSecretData does. The same value gets the same mask in every object
// given, so a masked diff still shows which keys changed. Objects that are not
// Secrets, and nils, are returned as they are; inputs are never modified.
func MaskSecrets(objs ...*unstructured.Unstructured) []*unstructured.Unstructured {
	masks := map[string]string{}
	out := make([]*unstructured.Unstructured, len(objs))
	for i, obj := range objs {
		if obj == nil || obj.GetAPIVersion() != "v1" || obj.GetKind() != "Secret" {
			out[i] = obj
			continue
		}
		masked := obj.DeepCopy()
		foldStringData(masked)
		data, _, _ := unstructured.NestedMap(masked.Object, "data")
		for key, value := range data {
			s, _ := value.(string)
			mask, ok := masks[s]
			if !ok {
				mask = strings.Repeat("+", 8+len(masks))
				masks[s] = mask
			}
			data[key] = mask
		}
		if data != nil {
			_ = unstructured.SetNestedField(masked.Object, data, "data")
		}
		if annotations := masked.GetAnnotations(); annotations[lastAppliedAnnotation] != "" {
			delete(annotations, lastAppliedAnnotation)
			setOrRemove(masked, annotations, "annotations")
		}
		out[i] = masked
	}
	return out
}
