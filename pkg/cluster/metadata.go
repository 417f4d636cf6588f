package cluster

import "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

// Annotation returns obj's annotation key as GetAnnotations()[key] does,
// without copying the annotations: false when obj has none by that key, or
// when an annotation is neither a string nor null (GetAnnotations then
// returns none at all).
func Annotation(obj *unstructured.Unstructured, key string) (string, bool) {
	return metadataMapValue(obj, "annotations", key)
}

// Label is Annotation for labels.
func Label(obj *unstructured.Unstructured, key string) (string, bool) {
	return metadataMapValue(obj, "labels", key)
}

// EachAnnotation calls fn with each annotation of obj, as ranging over
// GetAnnotations() would (null values as "", none at all when one is of
// another type), without copying them.
func EachAnnotation(obj *unstructured.Unstructured, fn func(key, value string)) {
	if obj == nil {
		return
	}
	metadata, _ := obj.Object["metadata"].(map[string]interface{})
	values, _ := metadata["annotations"].(map[string]interface{})
	for _, v := range values {
		if _, isString := v.(string); !isString && v != nil {
			return
		}
	}
	for k, v := range values {
		s, _ := v.(string)
		fn(k, s)
	}
}

// metadataMapValue reads metadata.<field>[key] with the semantics of
// unstructured.NestedNullCoercingStringMap: null values read as "", and any
// value of another type makes the whole map unreadable.
func metadataMapValue(obj *unstructured.Unstructured, field, key string) (string, bool) {
	if obj == nil {
		return "", false
	}
	metadata, ok := obj.Object["metadata"].(map[string]interface{})
	if !ok {
		return "", false
	}
	values, ok := metadata[field].(map[string]interface{})
	if !ok {
		return "", false
	}
	for _, v := range values {
		if _, isString := v.(string); !isString && v != nil {
			return "", false
		}
	}
	v, ok := values[key]
	if !ok {
		return "", false
	}
	s, _ := v.(string)
	return s, true
}

// setMetadataMapValue sets metadata.<field>[key] = value in place when that
// map holds only strings (and nulls, which SetAnnotations would write as ""),
// as obj.SetAnnotations(GetAnnotations() + key) would leave it, without
// copying the map; otherwise it falls back to exactly that.
func setMetadataMapValue(obj *unstructured.Unstructured, field, key, value string) {
	if metadata, ok := obj.Object["metadata"].(map[string]interface{}); ok {
		if _, exists := metadata[field]; !exists {
			metadata[field] = map[string]interface{}{key: value}
			return
		}
		if values, ok := metadata[field].(map[string]interface{}); ok {
			plain := true
			for k, v := range values {
				switch v.(type) {
				case string:
				case nil:
					values[k] = ""
				default:
					plain = false
				}
				if !plain {
					break
				}
			}
			if plain {
				values[key] = value
				return
			}
		}
	}
	var values map[string]string
	if field == "annotations" {
		values = obj.GetAnnotations()
	} else {
		values = obj.GetLabels()
	}
	if values == nil {
		values = map[string]string{}
	}
	values[key] = value
	if field == "annotations" {
		obj.SetAnnotations(values)
	} else {
		obj.SetLabels(values)
	}
}
