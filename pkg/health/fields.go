package health

import (
	"fmt"
	"math"
	"strings"
)

// fieldReader reads typed values out of unstructured content without
// converting the object to a typed struct: health runs on every watch event,
// and a conversion copies the whole object. It remembers the first value whose
// type is wrong, so a check can report it as Unknown the way Argo CD reports an
// object that does not convert to its typed form.
type fieldReader struct {
	err error
}

// lookup walks path from m. A missing key, or an explicit null, is not found.
func (r *fieldReader) lookup(m map[string]any, path ...string) (any, bool) {
	var current any = m
	for i, key := range path {
		object, ok := current.(map[string]any)
		if !ok {
			if current != nil {
				r.fail(path[:i], current, "object")
			}
			return nil, false
		}
		current, ok = object[key]
		if !ok || current == nil {
			return nil, false
		}
	}
	return current, true
}

// fail records a wrongly typed value unless an earlier one was recorded.
func (r *fieldReader) fail(path []string, value any, want string) {
	if r.err == nil {
		r.err = fmt.Errorf(".%s is %T, want %s", strings.Join(path, "."), value, want)
	}
}

// object returns the object at path, or nil.
func (r *fieldReader) object(m map[string]any, path ...string) map[string]any {
	value, ok := r.lookup(m, path...)
	if !ok {
		return nil
	}
	object, ok := value.(map[string]any)
	if !ok {
		r.fail(path, value, "object")
	}
	return object
}

// list returns the list at path, or nil.
func (r *fieldReader) list(m map[string]any, path ...string) []any {
	value, ok := r.lookup(m, path...)
	if !ok {
		return nil
	}
	list, ok := value.([]any)
	if !ok {
		r.fail(path, value, "list")
	}
	return list
}

// str returns the string at path, or "".
func (r *fieldReader) str(m map[string]any, path ...string) string {
	value, ok := r.lookup(m, path...)
	if !ok {
		return ""
	}
	s, ok := value.(string)
	if !ok {
		r.fail(path, value, "string")
	}
	return s
}

// boolean returns the boolean at path, or false.
func (r *fieldReader) boolean(m map[string]any, path ...string) bool {
	value, ok := r.lookup(m, path...)
	if !ok {
		return false
	}
	b, ok := value.(bool)
	if !ok {
		r.fail(path, value, "boolean")
	}
	return b
}

// integer returns the integer at path and whether it is set. JSON decoding
// into unstructured yields int64, but objects built in Go may hold other
// integer types or integral float64 values, which the typed converter accepts
// as well.
func (r *fieldReader) integer(m map[string]any, path ...string) (int64, bool) {
	value, ok := r.lookup(m, path...)
	if !ok {
		return 0, false
	}
	switch n := value.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	}
	r.fail(path, value, "integer")
	return 0, false
}

// findCondition returns the first condition of the given type in a
// status.conditions list, or nil.
func (r *fieldReader) findCondition(conditions []any, conditionType string) map[string]any {
	for _, item := range conditions {
		condition, ok := item.(map[string]any)
		if !ok {
			r.fail([]string{"status", "conditions"}, item, "list of objects")
			return nil
		}
		if t, _ := condition["type"].(string); t == conditionType {
			return condition
		}
	}
	return nil
}

// annotation returns one annotation of obj without copying the annotation map
// as unstructured.Unstructured.GetAnnotations does.
func annotation(obj map[string]any, key string) string {
	metadata, _ := obj["metadata"].(map[string]any)
	annotations, _ := metadata["annotations"].(map[string]any)
	value, _ := annotations[key].(string)
	return value
}

// hasAnnotation reports whether obj carries the annotation, whatever its value.
func hasAnnotation(obj map[string]any, key string) bool {
	metadata, _ := obj["metadata"].(map[string]any)
	annotations, _ := metadata["annotations"].(map[string]any)
	_, ok := annotations[key]
	return ok
}
