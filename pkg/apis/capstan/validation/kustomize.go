package validation

import (
	"strconv"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan"
)

// validateKustomize checks Kustomize overrides: images, replicas, patches,
// components and the labels and annotations added to every resource.
func validateKustomize(k *capstan.ApplicationSourceKustomize, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, image := range k.Images {
		if strings.TrimSpace(string(image)) == "" {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("images").Index(i), string(image),
				"must be an image override such as name=newName:tag@digest or name:tag"))
		}
	}
	for i := range k.Replicas {
		allErrs = append(allErrs, validateKustomizeReplica(&k.Replicas[i], fldPath.Child("replicas").Index(i))...)
	}
	for i := range k.Patches {
		allErrs = append(allErrs, validateKustomizePatch(&k.Patches[i], fldPath.Child("patches").Index(i))...)
	}
	for i, component := range k.Components {
		if strings.TrimSpace(component) == "" {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("components").Index(i), component, "must name a component directory"))
		}
	}
	allErrs = append(allErrs, metav1validation.ValidateLabels(k.CommonLabels, fldPath.Child("commonLabels"))...)
	return append(allErrs, apivalidation.ValidateAnnotations(k.CommonAnnotations, fldPath.Child("commonAnnotations"))...)
}

// validateKustomizeReplica requires a workload name and a non-negative count.
func validateKustomizeReplica(r *capstan.KustomizeReplica, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if r.Name == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), "the name of the Deployment or StatefulSet"))
	}
	count := int64(r.Count.IntVal)
	if r.Count.Type == intstr.String {
		parsed, err := strconv.ParseInt(r.Count.StrVal, 10, 32)
		if err != nil {
			return append(allErrs, field.Invalid(fldPath.Child("count"), r.Count.StrVal, "must be an integer"))
		}
		count = parsed
	}
	return append(allErrs, apivalidation.ValidateNonnegativeField(count, fldPath.Child("count"))...)
}

// validateKustomizePatch requires exactly one of path and patch.
func validateKustomizePatch(p *capstan.KustomizePatch, fldPath *field.Path) field.ErrorList {
	switch {
	case p.Path == "" && p.Patch == "":
		return field.ErrorList{field.Required(fldPath.Child("patch"), "one of patch (inline) or path (a patch file) is required")}
	case p.Path != "" && p.Patch != "":
		return field.ErrorList{field.Forbidden(fldPath.Child("path"), "may not be set together with patch")}
	}
	return nil
}
