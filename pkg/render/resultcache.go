package render

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// cachedResult is a render result as the cache holds it: every object as
// compact JSON, a fraction of the memory of its decoded form, decoded again
// on each hit (a caller owns what it gets, so a hit copies anyway). An object
// holding a floating-point number keeps its decoded form instead, since JSON
// would turn 1.0 into the integer 1.
type cachedResult struct {
	sourceType v1alpha1.ApplicationSourceType
	// encoded[i] is object i as JSON, or nil when decoded[i] holds it.
	encoded [][]byte
	decoded []*unstructured.Unstructured
	size    int64
}

// decodedCostFactor estimates the heap of a decoded object from its JSON
// size (maps, interfaces and strings of an unstructured object).
const decodedCostFactor = 8

// cacheResult encodes res for the cache.
func cacheResult(res *Result) (*cachedResult, error) {
	out := &cachedResult{sourceType: res.SourceType, encoded: make([][]byte, len(res.Objects)), decoded: make([]*unstructured.Unstructured, len(res.Objects))}
	for i, obj := range res.Objects {
		data, err := obj.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("encode %s %s for the render cache: %w", obj.GetKind(), obj.GetName(), err)
		}
		if hasFloat(obj.Object) {
			out.decoded[i] = obj.DeepCopy()
			out.size += decodedCostFactor * int64(len(data))
			continue
		}
		out.encoded[i] = data
		out.size += int64(len(data))
	}
	return out, nil
}

// result decodes a copy of the cached result.
func (c *cachedResult) result() (*Result, error) {
	out := &Result{SourceType: c.sourceType, Objects: make([]*unstructured.Unstructured, len(c.encoded))}
	for i, data := range c.encoded {
		if data == nil {
			out.Objects[i] = c.decoded[i].DeepCopy()
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("decode a cached render: %w", err)
		}
		out.Objects[i] = obj
	}
	return out, nil
}

// cachedResultCost is what a cached result costs the cache: its size and key.
func cachedResultCost(key string, c *cachedResult) int64 {
	return int64(len(key)) + c.size
}

// hasFloat tells whether a decoded JSON value holds a float64 anywhere.
func hasFloat(value any) bool {
	switch v := value.(type) {
	case float64, float32:
		return true
	case map[string]any:
		for _, item := range v {
			if hasFloat(item) {
				return true
			}
		}
	case []any:
		for _, item := range v {
			if hasFloat(item) {
				return true
			}
		}
	}
	return false
}
