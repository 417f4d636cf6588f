package servingca

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
)

// APIServices are kube-apiserver's aggregator registrations. They are read
// and patched through the dynamic client: k8s.io/kube-aggregator's clientset
// would be a large module for one patch.
var APIServices = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// PublishCABundle makes caBundle the APIService name's spec.caBundle and
// turns off its insecureSkipTLSVerify, so that the aggregator verifies the
// serving certificate. It writes only when either differs, and then only
// over the version it read: on a conflict it reads again and decides again.
// changed tells whether it wrote.
func PublishCABundle(ctx context.Context, client dynamic.Interface, name string, caBundle []byte) (changed bool, err error) {
	apiServices := client.Resource(APIServices)
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		changed = false
		apiService, err := apiServices.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		current, err := trustOf(apiService)
		if err != nil {
			return err
		}
		if !current.insecureSkipTLSVerify && bytes.Equal(current.caBundle, caBundle) {
			return nil
		}
		patch, err := json.Marshal(map[string]any{
			// The resourceVersion makes the patch fail with a conflict when
			// someone else changed the APIService since it was read.
			"metadata": map[string]any{"resourceVersion": apiService.GetResourceVersion()},
			"spec":     map[string]any{"caBundle": caBundle, "insecureSkipTLSVerify": false},
		})
		if err != nil {
			return err
		}
		if _, err := apiServices.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager}); err != nil {
			return err
		}
		changed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("publish the serving CA in APIService %s: %w", name, err)
	}
	return changed, nil
}

// trust is how the aggregator verifies an APIService's serving certificate.
type trust struct {
	caBundle              []byte
	insecureSkipTLSVerify bool
}

// trustOf reads the trust settings of an APIService.
func trustOf(apiService *unstructured.Unstructured) (trust, error) {
	var t trust
	encoded, _, err := unstructured.NestedString(apiService.Object, "spec", "caBundle")
	if err != nil {
		return t, fmt.Errorf("spec.caBundle: %w", err)
	}
	if t.caBundle, err = base64.StdEncoding.DecodeString(encoded); err != nil {
		return t, fmt.Errorf("spec.caBundle: %w", err)
	}
	if t.insecureSkipTLSVerify, _, err = unstructured.NestedBool(apiService.Object, "spec", "insecureSkipTLSVerify"); err != nil {
		return t, fmt.Errorf("spec.insecureSkipTLSVerify: %w", err)
	}
	return t, nil
}
