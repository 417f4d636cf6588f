package validation

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MaxDiffManifests bounds the objects of one ApplicationDiffRequest.
const MaxDiffManifests = 10000

// ValidateDiffManifests checks the manifests of an ApplicationDiffRequest and
// returns them as objects: each must be a Kubernetes object with apiVersion,
// kind and a name (or, for hooks, generateName). Values are never quoted.
func ValidateDiffManifests(manifests []runtime.RawExtension) ([]*unstructured.Unstructured, field.ErrorList) {
	path := field.NewPath("manifests")
	if len(manifests) > MaxDiffManifests {
		return nil, field.ErrorList{field.TooMany(path, len(manifests), MaxDiffManifests)}
	}
	var allErrs field.ErrorList
	objects := make([]*unstructured.Unstructured, 0, len(manifests))
	invalid := func(p *field.Path, detail string) {
		allErrs = append(allErrs, &field.Error{Type: field.ErrorTypeInvalid, Field: p.String(), BadValue: field.OmitValueType{}, Detail: detail})
	}
	for i, raw := range manifests {
		p := path.Index(i)
		var content map[string]any
		if err := json.Unmarshal(raw.Raw, &content); err != nil || content == nil {
			invalid(p, "must be a Kubernetes object (a JSON object)")
			continue
		}
		obj := &unstructured.Unstructured{Object: content}
		if obj.GetAPIVersion() == "" {
			allErrs = append(allErrs, field.Required(p.Child("apiVersion"), ""))
		}
		if obj.GetKind() == "" {
			allErrs = append(allErrs, field.Required(p.Child("kind"), ""))
		}
		if _, ok := content["metadata"].(map[string]any); !ok {
			allErrs = append(allErrs, field.Required(p.Child("metadata"), "must be an object with a name"))
			continue
		}
		if obj.GetName() == "" && obj.GetGenerateName() == "" {
			allErrs = append(allErrs, field.Required(p.Child("metadata", "name"), "or generateName, for hooks"))
		}
		objects = append(objects, obj)
	}
	if len(allErrs) > 0 {
		return nil, allErrs
	}
	return objects, nil
}
