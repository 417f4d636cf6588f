package diff

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"testing"
)

func sum(t *testing.T, v any) []byte {
	t.Helper()
	h := sha256.New()
	if err := hashValue(h, v); err != nil {
		t.Fatalf("hash %#v: %v", v, err)
	}
	return h.Sum(nil)
}

// TestHashValueIsEqualityOfJSON checks that two values hash alike exactly
// when their JSON encodings are equal (the key encoding/json gave before).
func TestHashValueIsEqualityOfJSON(t *testing.T) {
	values := []any{
		nil, "", false, true, int64(0), int64(2), float64(2), float64(2.5), int64(-1), float64(1e300),
		"2", "a", "ab", "a\x00b",
		[]any{}, []any{"a"}, []any{"a", "b"}, []any{"ab"}, []any{[]any{}}, []any{nil},
		map[string]any{}, map[string]any{"a": "b"}, map[string]any{"ab": ""}, map[string]any{"a": map[string]any{}},
		map[string]any{"a": []any{}}, map[string]any{"a": "b", "c": "d"}, map[string]any{"c": "d", "a": "b"},
		map[string]any{"a": map[string]any{"b": "c", "d": map[string]any{"e": int64(1)}}, "f": []any{map[string]any{"g": "h"}}},
		map[string]any{"a": map[string]any{"b": "c", "d": map[string]any{"e": float64(1)}}, "f": []any{map[string]any{"g": "h"}}},
		map[string]any{"a": map[string]any{"b": "c", "d": map[string]any{"e": int64(2)}}, "f": []any{map[string]any{"g": "h"}}},
		json.Number("7"), int64(7),
	}
	for i, a := range values {
		for j, b := range values {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			sameJSON := bytes.Equal(ja, jb)
			sameHash := bytes.Equal(sum(t, a), sum(t, b))
			if sameJSON != sameHash {
				t.Errorf("values %d %s and %d %s: equal JSON %v, equal hash %v", i, ja, j, jb, sameJSON, sameHash)
			}
		}
	}
}

// TestHashValueReusesNoStateAcrossValues hashes a value with nested maps
// twice, and in between one that leaves other keys in the pooled hasher.
func TestHashValueReusesNoStateAcrossValues(t *testing.T) {
	v := map[string]any{"z": map[string]any{"y": map[string]any{"x": "1"}}, "a": "2"}
	first := sum(t, v)
	_ = sum(t, map[string]any{"k1": map[string]any{"k2": map[string]any{"k3": map[string]any{"k4": "v"}}}})
	if !bytes.Equal(first, sum(t, v)) {
		t.Error("the same value hashed differently after another")
	}
}
