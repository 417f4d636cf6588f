package cluster

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// metadataShapes are objects whose annotations and labels take every shape
// unstructured's accessors distinguish.
func metadataShapes() map[string]func() *unstructured.Unstructured {
	withMap := func(values map[string]interface{}) func() *unstructured.Unstructured {
		return func() *unstructured.Unstructured {
			return &unstructured.Unstructured{Object: map[string]interface{}{
				"kind": "ConfigMap", "apiVersion": "v1",
				"metadata": map[string]interface{}{"name": "a",
					"annotations": runtime.DeepCopyJSONValue(values), "labels": runtime.DeepCopyJSONValue(values)},
			}}
		}
	}
	return map[string]func() *unstructured.Unstructured{
		"no metadata": func() *unstructured.Unstructured {
			return &unstructured.Unstructured{Object: map[string]interface{}{"kind": "ConfigMap"}}
		},
		"no maps": func() *unstructured.Unstructured {
			return &unstructured.Unstructured{Object: map[string]interface{}{"metadata": map[string]interface{}{"name": "a"}}}
		},
		"a map of another type": func() *unstructured.Unstructured {
			return &unstructured.Unstructured{Object: map[string]interface{}{"metadata": map[string]interface{}{"annotations": "x", "labels": []interface{}{"y"}}}}
		},
		"empty":         withMap(map[string]interface{}{}),
		"strings":       withMap(map[string]interface{}{"k": "v", "other": "w"}),
		"the key null":  withMap(map[string]interface{}{"k": nil, "other": "w"}),
		"another null":  withMap(map[string]interface{}{"k": "v", "other": nil}),
		"a number":      withMap(map[string]interface{}{"k": "v", "other": int64(1)}),
		"the key bool":  withMap(map[string]interface{}{"k": true}),
		"a nested map":  withMap(map[string]interface{}{"k": "v", "other": map[string]interface{}{}}),
		"only the key":  withMap(map[string]interface{}{"k": ""}),
		"without the k": withMap(map[string]interface{}{"other": "w"}),
	}
}

// TestMetadataValuesReadAsTheAccessorsDo checks Annotation and Label against
// GetAnnotations and GetLabels, and setMetadataMapValue against
// SetAnnotations/SetLabels of the map they return with the key set.
func TestMetadataValuesReadAsTheAccessorsDo(t *testing.T) {
	for name, shape := range metadataShapes() {
		t.Run(name, func(t *testing.T) {
			obj := shape()
			annotation, ok := Annotation(obj, "k")
			want, wantOK := obj.GetAnnotations()["k"]
			if annotation != want || ok != wantOK {
				t.Errorf("Annotation = %q, %v; GetAnnotations()[k] = %q, %v", annotation, ok, want, wantOK)
			}
			each := map[string]string{}
			EachAnnotation(obj, func(key, value string) { each[key] = value })
			if all := obj.GetAnnotations(); len(each) != len(all) || (len(all) > 0 && !reflect.DeepEqual(each, all)) {
				t.Errorf("EachAnnotation saw %v; GetAnnotations() = %v", each, all)
			}
			label, ok := Label(obj, "k")
			want, wantOK = obj.GetLabels()["k"]
			if label != want || ok != wantOK {
				t.Errorf("Label = %q, %v; GetLabels()[k] = %q, %v", label, ok, want, wantOK)
			}

			for _, field := range []string{"annotations", "labels"} {
				got, reference := shape(), shape()
				setMetadataMapValue(got, field, "k", "set")
				if field == "annotations" {
					values := reference.GetAnnotations()
					if values == nil {
						values = map[string]string{}
					}
					values["k"] = "set"
					reference.SetAnnotations(values)
				} else {
					values := reference.GetLabels()
					if values == nil {
						values = map[string]string{}
					}
					values["k"] = "set"
					reference.SetLabels(values)
				}
				if !reflect.DeepEqual(got.Object, reference.Object) {
					t.Errorf("%s: set in place\n%#v\nthe accessors\n%#v", field, got.Object, reference.Object)
				}
			}
		})
	}
}
