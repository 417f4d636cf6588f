package cluster

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

var configMapsResource = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

// newConfigMapCache returns a cache watching ConfigMaps of a fake client
// (its watch delivers what the test creates and deletes).
func newConfigMapCache(t *testing.T) (*ObjectCache, *dynamicfake.FakeDynamicClient) {
	t.Helper()
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{configMapsResource: "ConfigMapList"})
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	objects := NewObjectCache(ctx, client, resettable{mapper}, nil)
	if _, err := objects.Watch(ctx, schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}); err != nil {
		t.Fatalf("Watch ConfigMaps = %v", err)
	}
	return objects, client
}

func configMap(name, value string, labelled bool) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": "team-a"},
		"data":     map[string]any{"value": value},
	}}
	if labelled {
		obj.SetLabels(map[string]string{InstanceLabel: "team-a_app"})
	}
	return obj
}

// pollUntil polls condition until it holds or the deadline passes.
func pollUntil(t *testing.T, what string, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func valueOf(obj *unstructured.Unstructured) string {
	value, _, _ := unstructured.NestedString(obj.Object, "data", "value")
	return value
}

func TestAnAppliedObjectIsFoundUntilTheWatchDeliversIt(t *testing.T) {
	objects, client := newConfigMapCache(t)
	objects.Applied(configMapsResource, configMap("settings", "applied", true), time.Now())
	got, ok := objects.Get(configMapsResource, "team-a", "settings")
	if !ok || valueOf(got) != "applied" {
		t.Fatalf("Get after Applied = %v, %v; want the applied object", got, ok)
	}

	// The watch delivers the object as stored; from then on the informer answers.
	if _, err := client.Resource(configMapsResource).Namespace("team-a").Create(context.Background(),
		configMap("settings", "stored", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the informer has the stored object", func() bool {
		got, ok := objects.Get(configMapsResource, "team-a", "settings")
		return ok && valueOf(got) == "stored"
	})
	if _, ok := objects.appliedObject(configMapsResource, "team-a", "settings"); ok {
		t.Errorf("the applied object is still remembered after the watch delivered it")
	}

	// Deleted by someone else: the applied object does not come back.
	if err := client.Resource(configMapsResource).Namespace("team-a").Delete(context.Background(), "settings", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the informer saw the deletion", func() bool {
		_, ok := objects.Get(configMapsResource, "team-a", "settings")
		return !ok
	})
}

func TestAnApplyAnsweredBeforeADeletionTheWatchSawIsNotRemembered(t *testing.T) {
	objects, client := newConfigMapCache(t)
	startedAt := time.Now()
	if _, err := client.Resource(configMapsResource).Namespace("team-a").Create(context.Background(),
		configMap("settings", "stored", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the informer has the object", func() bool {
		_, ok := objects.Get(configMapsResource, "team-a", "settings")
		return ok
	})
	if err := client.Resource(configMapsResource).Namespace("team-a").Delete(context.Background(), "settings", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the informer saw the deletion", func() bool {
		_, ok := objects.Get(configMapsResource, "team-a", "settings")
		return !ok
	})

	objects.Applied(configMapsResource, configMap("settings", "applied", true), startedAt)
	if got, ok := objects.Get(configMapsResource, "team-a", "settings"); ok {
		t.Errorf("Get = %v after a deletion the watch delivered; want not found", valueOf(got))
	}
}

func TestAnAppliedObjectWithoutTheInstanceLabelIsNotRemembered(t *testing.T) {
	objects, _ := newConfigMapCache(t)
	objects.Applied(configMapsResource, configMap("settings", "applied", false), time.Now())
	if _, ok := objects.Get(configMapsResource, "team-a", "settings"); ok {
		t.Errorf("an object the watch never delivers was remembered")
	}
}
