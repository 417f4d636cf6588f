package cluster

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// deploymentJSON is a Deployment as the API returns it, with the managedFields
// of an apply and of the controller's status updates.
func deploymentJSON(name string, containers ...string) []byte {
	fieldContainers := map[string]any{}
	specContainers := []any{}
	for _, c := range containers {
		fieldContainers[fmt.Sprintf(`k:{"name":%q}`, c)] = map[string]any{
			".": map[string]any{}, "f:image": map[string]any{}, "f:name": map[string]any{},
		}
		specContainers = append(specContainers, map[string]any{"name": c, "image": "registry.k8s.io/pause:3.10"})
	}
	obj := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{
			"name": name, "namespace": "bench-" + name, "uid": "uid-" + name, "resourceVersion": "1234567",
			"labels": map[string]any{InstanceLabel: name},
			"managedFields": []any{
				map[string]any{"manager": "capstan", "operation": "Apply", "apiVersion": "apps/v1",
					"time": "2026-12-06T10:00:00Z", "fieldsType": "FieldsV1",
					"fieldsV1": map[string]any{
						"f:metadata": map[string]any{"f:labels": map[string]any{"f:" + InstanceLabel: map[string]any{}}},
						"f:spec": map[string]any{"f:replicas": map[string]any{}, "f:template": map[string]any{
							"f:spec": map[string]any{"f:containers": fieldContainers}}},
					}},
				map[string]any{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
					"time": "2026-12-06T10:00:01Z", "fieldsType": "FieldsV1", "subresource": "status",
					"fieldsV1": map[string]any{"f:status": map[string]any{
						"f:availableReplicas": map[string]any{}, "f:readyReplicas": map[string]any{}, "f:replicas": map[string]any{},
					}}},
			},
		},
		"spec": map[string]any{"replicas": 1, "template": map[string]any{"spec": map[string]any{"containers": specContainers}}},
	}
	data, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	return data
}

func decodeObject(t testing.TB, data []byte) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	return u
}

func fieldsV1Of(u *unstructured.Unstructured, i int) map[string]any {
	return u.Object["metadata"].(map[string]any)["managedFields"].([]any)[i].(map[string]any)["fieldsV1"].(map[string]any)
}

func TestEqualFieldSetsAreSharedBetweenCachedObjects(t *testing.T) {
	sets := newFieldSets()
	first := decodeObject(t, deploymentJSON("app-1", "app"))
	second := decodeObject(t, deploymentJSON("app-2", "app"))
	other := decodeObject(t, deploymentJSON("app-3", "app", "sidecar"))
	wantManagedFields := second.GetManagedFields()
	for _, u := range []*unstructured.Unstructured{first, second, other} {
		if _, err := sets.transform(u); err != nil {
			t.Fatal(err)
		}
	}

	for i := range 2 {
		if reflect.ValueOf(fieldsV1Of(first, i)).Pointer() != reflect.ValueOf(fieldsV1Of(second, i)).Pointer() {
			t.Errorf("managedFields[%d].fieldsV1 of two Deployments with the same fields are two maps, want one shared", i)
		}
	}
	if reflect.ValueOf(fieldsV1Of(first, 0)).Pointer() == reflect.ValueOf(fieldsV1Of(other, 0)).Pointer() {
		t.Errorf("a Deployment with another container shares the field set of one without it")
	}
	if reflect.ValueOf(fieldsV1Of(first, 1)).Pointer() != reflect.ValueOf(fieldsV1Of(other, 1)).Pointer() {
		t.Errorf("equal status field sets of different specs are not shared")
	}
	if got := second.GetManagedFields(); !reflect.DeepEqual(got, wantManagedFields) {
		t.Errorf("managedFields changed by sharing:\n got %+v\nwant %+v", got, wantManagedFields)
	}
	// A copy a caller changes has field sets of its own.
	changed := first.DeepCopy()
	delete(fieldsV1Of(changed, 0), "f:spec")
	if _, ok := fieldsV1Of(second, 0)["f:spec"]; !ok {
		t.Errorf("changing a DeepCopy changed the shared field set")
	}
}

// BenchmarkCachedObjectMemory reports the heap that 1,000 cached Deployments
// retain with shared field sets (the cache's transform) and, as the
// reference in the same run, as decoded.
func BenchmarkCachedObjectMemory(b *testing.B) {
	const objects = 1000
	data := make([][]byte, objects)
	for i := range data {
		data[i] = deploymentJSON(fmt.Sprintf("app-%04d", i), "app")
	}
	retained := func(transform func(any) (any, error)) float64 {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		kept := make([]any, objects)
		for i := range data {
			kept[i], _ = transform(decodeObject(b, data[i]))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(kept)
		return float64(after.HeapAlloc-before.HeapAlloc) / objects
	}
	var shared, decoded float64
	for b.Loop() {
		shared = retained(newFieldSets().transform)
		decoded = retained(func(obj any) (any, error) { return obj, nil })
	}
	b.ReportMetric(shared, "shared-B/object")
	b.ReportMetric(decoded, "decoded-B/object")
	b.ReportMetric(shared/decoded, "shared/decoded")
}

// stringsOf returns the keys and string values of m and what it holds, by
// path, with the address of each string's bytes.
func stringsOf(path string, value any, out map[string]*byte) {
	switch v := value.(type) {
	case string:
		out[path+"="] = unsafe.StringData(v)
	case map[string]any:
		for key, item := range v {
			out[path+"/"+key] = unsafe.StringData(key)
			stringsOf(path+"/"+key, item, out)
		}
	case []any:
		for i, item := range v {
			stringsOf(fmt.Sprintf("%s[%d]", path, i), item, out)
		}
	}
}

func TestCachedObjectsShareTheirKeysAndShortValues(t *testing.T) {
	sets := newFieldSets()
	data := deploymentJSON("app", "app")
	first, second := decodeObject(t, data), decodeObject(t, data)
	want := decodeObject(t, data)
	for _, u := range []*unstructured.Unstructured{first, second} {
		if _, err := sets.transform(u); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(first.Object, want.Object) {
		t.Fatalf("the transform changed the object:\n got %v\nwant %v", first.Object, want.Object)
	}

	firstStrings, secondStrings := map[string]*byte{}, map[string]*byte{}
	stringsOf("", first.Object, firstStrings)
	stringsOf("", second.Object, secondStrings)
	for path, at := range firstStrings {
		shared := secondStrings[path] == at
		switch path {
		case "/metadata/uid=", "/metadata/resourceVersion=":
			if shared {
				t.Errorf("%s is made canonical: no two objects share it", path)
			}
		default:
			if !shared {
				t.Errorf("%s is not shared between two cached copies of one object", path)
			}
		}
	}
	if len(firstStrings) < 40 {
		t.Fatalf("walked %d strings of a Deployment, want its keys and values", len(firstStrings))
	}
}

func TestLongStringValuesAreNotMadeCanonical(t *testing.T) {
	long := strings.Repeat("x", maxInternedString+1)
	obj := func() *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"data": map[string]any{"key": strings.Clone(long)}}}
	}
	first, second := obj(), obj()
	for _, u := range []*unstructured.Unstructured{first, second} {
		if _, err := newFieldSets().transform(u); err != nil {
			t.Fatal(err)
		}
	}
	a, b := first.Object["data"].(map[string]any)["key"].(string), second.Object["data"].(map[string]any)["key"].(string)
	if unsafe.StringData(a) == unsafe.StringData(b) || a != long {
		t.Errorf("a %d-byte value is shared or changed, want it kept as decoded", len(long))
	}
}
