package servingca

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
)

const testAPIService = "v1alpha1.capstan.dev"

// apiService is an APIService with the given trust settings.
func apiService(caBundle []byte, insecureSkipTLSVerify bool) *unstructured.Unstructured {
	spec := map[string]any{
		"group": "capstan.dev", "version": "v1alpha1",
		"groupPriorityMinimum": int64(1000), "versionPriority": int64(15),
		"service": map[string]any{"name": "capstan-apiserver", "namespace": "capstan-system", "port": int64(443)},
	}
	if caBundle != nil {
		spec["caBundle"] = base64.StdEncoding.EncodeToString(caBundle)
	}
	if insecureSkipTLSVerify {
		spec["insecureSkipTLSVerify"] = true
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1",
		"kind":       "APIService",
		"metadata":   map[string]any{"name": testAPIService, "resourceVersion": "1"},
		"spec":       spec,
	}}
}

func newDynamicClient(objects ...runtime.Object) *dynamicfake.FakeDynamicClient {
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{APIServices: "APIServiceList"}, objects...)
}

// patches counts the patch requests a fake client received.
func patches(client *dynamicfake.FakeDynamicClient) int {
	n := 0
	for _, action := range client.Actions() {
		if action.GetVerb() == "patch" {
			n++
		}
	}
	return n
}

func TestPublishCABundle(t *testing.T) {
	ctx := context.Background()
	caBundle := newTestAuthority(t).CertificatePEM
	tests := []struct {
		name        string
		existing    *unstructured.Unstructured
		wantChanged bool
	}{
		{name: "an APIService that skips verification gets the caBundle and verifies",
			existing: apiService(nil, true), wantChanged: true},
		{name: "an APIService with another caBundle gets this one",
			existing: apiService(newTestAuthority(t).CertificatePEM, false), wantChanged: true},
		{name: "an APIService that already has the caBundle is not written",
			existing: apiService(caBundle, false), wantChanged: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := newDynamicClient(tt.existing)
			changed, err := PublishCABundle(ctx, client, testAPIService, caBundle)
			if err != nil {
				t.Fatalf("publish: %v", err)
			}
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if got, want := patches(client), map[bool]int{true: 1, false: 0}[tt.wantChanged]; got != want {
				t.Errorf("%d patches, want %d", got, want)
			}
			stored, err := client.Resource(APIServices).Get(ctx, testAPIService, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			got, err := trustOf(stored)
			if err != nil {
				t.Fatalf("read the APIService: %v", err)
			}
			if !bytes.Equal(got.caBundle, caBundle) || got.insecureSkipTLSVerify {
				t.Errorf("insecureSkipTLSVerify %v and caBundle equal %v; want false and true",
					got.insecureSkipTLSVerify, bytes.Equal(got.caBundle, caBundle))
			}
		})
	}

	t.Run("a conflict is retried on the newer version", func(t *testing.T) {
		client := newDynamicClient(apiService(nil, true))
		conflicts := 0
		client.PrependReactor("patch", "apiservices", func(clienttesting.Action) (bool, runtime.Object, error) {
			if conflicts > 0 {
				return false, nil, nil
			}
			conflicts++
			return true, nil, apierrors.NewConflict(APIServices.GroupResource(), testAPIService, nil)
		})
		changed, err := PublishCABundle(ctx, client, testAPIService, caBundle)
		if err != nil || !changed {
			t.Fatalf("publish = changed %v, %v; want changed after the conflict", changed, err)
		}
		if got := patches(client); got != 2 {
			t.Errorf("%d patches, want the conflicting one and its retry", got)
		}
	})

	t.Run("a missing APIService is an error naming it", func(t *testing.T) {
		_, err := PublishCABundle(ctx, newDynamicClient(), testAPIService, caBundle)
		if !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), testAPIService) {
			t.Errorf("want a not found error naming %s, got %v", testAPIService, err)
		}
	})
}
