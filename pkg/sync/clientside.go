package sync

import (
	"context"
	"encoding/json"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/jsonmergepatch"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
)

// LastAppliedAnnotation holds the configuration of the last client-side apply,
// as kubectl keeps it.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// clientSideApply is ServerSideApply=false: kubectl's client-side apply, a
// three-way merge of the last applied configuration, the target and the live
// object. Built-in kinds get a strategic merge patch, others a JSON merge patch.
func clientSideApply(ctx context.Context, client dynamic.ResourceInterface, obj *unstructured.Unstructured, opts ApplyOptions) (Applied, error) {
	modified, err := withLastApplied(obj)
	if err != nil {
		return Applied{}, err
	}
	live, err := client.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		created, err := client.Create(ctx, modified, metav1.CreateOptions{FieldManager: FieldManager, DryRun: dryRun(opts), FieldValidation: fieldValidation(opts)})
		return Applied{Object: created, Verb: VerbCreated}, err
	}
	if err != nil {
		return Applied{}, err
	}
	original := []byte(live.GetAnnotations()[LastAppliedAnnotation])
	modifiedJSON, err := json.Marshal(modified.Object)
	if err != nil {
		return Applied{}, err
	}
	currentJSON, err := json.Marshal(live.Object)
	if err != nil {
		return Applied{}, err
	}
	patchType, patch, err := threeWayPatch(obj, original, modifiedJSON, currentJSON)
	if err != nil {
		return Applied{}, err
	}
	if string(patch) == "{}" {
		return Applied{Object: live, Verb: VerbUnchanged}, nil
	}
	patched, err := client.Patch(ctx, obj.GetName(), patchType, patch, metav1.PatchOptions{
		FieldManager: FieldManager, DryRun: dryRun(opts), FieldValidation: fieldValidation(opts),
	})
	return Applied{Object: patched, Verb: VerbConfigured}, err
}

// withLastApplied returns obj with the last-applied annotation set to obj itself.
func withLastApplied(obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	out := obj.DeepCopy()
	annotations := out.GetAnnotations()
	delete(annotations, LastAppliedAnnotation)
	out.SetAnnotations(annotations)
	data, err := json.Marshal(out.Object)
	if err != nil {
		return nil, err
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[LastAppliedAnnotation] = string(data)
	out.SetAnnotations(annotations)
	return out, nil
}

func threeWayPatch(obj *unstructured.Unstructured, original, modified, current []byte) (types.PatchType, []byte, error) {
	typed, err := scheme.Scheme.New(obj.GroupVersionKind())
	if err != nil {
		patch, err := jsonmergepatch.CreateThreeWayJSONMergePatch(original, modified, current)
		return types.MergePatchType, patch, err
	}
	meta, err := strategicpatch.NewPatchMetaFromStruct(typed)
	if err != nil {
		return "", nil, err
	}
	patch, err := strategicpatch.CreateThreeWayMergePatch(original, modified, current, meta, true)
	return types.StrategicMergePatchType, patch, err
}
