package cluster

import (
	"crypto/sha256"
	"encoding/json"
	"unique"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/lru"
)

// maxSharedFieldSets bounds fieldSets: distinct field sets beyond it are not
// shared, and evicted ones stay with the objects that hold them.
const maxSharedFieldSets = 4096

// fieldSets shares the decoded metadata.managedFields[].fieldsV1 of cached
// objects. A field set names fields, not values, so the objects an
// Application renders from one template (every app's Deployment, every
// ConfigMap with the same keys) have equal field sets, and the decoded maps
// of a field set are most of a small object's memory in the cache (a few KB
// each, more than the object's own content). Cached objects are shared and
// read-only (ObjectsOf), so sharing a part of them is safe; DeepCopy gives a
// caller that changes an object a field set of its own.
type fieldSets struct {
	shared *lru.Cache[map[string]any]
}

func newFieldSets() *fieldSets {
	return &fieldSets{shared: lru.New[map[string]any](maxSharedFieldSets)}
}

// maxInternedString is the longest string value the cache shares: longer
// ones (data, certificates, scripts) are rarely equal between objects.
const maxInternedString = 128

// unsharedValues name the fields whose values no two objects share: making
// them canonical would cost an entry in the process's table of canonical
// strings for nothing.
var unsharedValues = map[string]bool{"uid": true, "resourceVersion": true}

// transform is the informers' TransformFunc: it replaces each fieldsV1 of
// obj with an equal one already held by another cached object, and each map
// key and short string value with its canonical copy (unique.Make). A
// decoded object holds its own copy of every key and value, and most are
// the same in every object of a kind ("metadata", "apiVersion", label keys,
// names and values repeated in every Application's namespace). Shared, they
// save a tenth of a cached Deployment's memory in BenchmarkCachedObjectMemory,
// whose objects have names of their own; the rest is the maps themselves.
func (f *fieldSets) transform(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	metadata, _ := u.Object["metadata"].(map[string]any)
	entries, _ := metadata["managedFields"].([]any)
	for _, item := range entries {
		entry, ok := item.(map[string]any)
		if !ok {
			continue
		}
		fields, ok := entry["fieldsV1"].(map[string]any)
		if !ok {
			continue
		}
		entry["fieldsV1"] = f.intern(fields)
	}
	internStrings(u.Object)
	return obj, nil
}

// internStrings replaces the keys and short string values of m, and of the
// maps and lists it holds, with their canonical copies. It leaves the
// fieldsV1 of managedFields entries alone: those are shared between objects
// (fieldSets.intern made their strings canonical before sharing them), and
// another informer's goroutine may be reading them.
func internStrings(m map[string]any) {
	for key, value := range m {
		if _, fieldSet := value.(map[string]any); fieldSet && key == "fieldsV1" {
			m[unique.Make(key).Value()] = value
			continue
		}
		// Assigning to an existing key stores the key given (Go updates
		// string keys on assignment), so the map drops its own copy.
		m[unique.Make(key).Value()] = internValue(key, value)
	}
}

func internValue(key string, value any) any {
	switch v := value.(type) {
	case string:
		if len(v) > maxInternedString || unsharedValues[key] {
			return v
		}
		return unique.Make(v).Value()
	case map[string]any:
		internStrings(v)
	case []any:
		for i := range v {
			v[i] = internValue(key, v[i])
		}
	}
	return value
}

// intern returns the shared field set equal to fields, keeping fields as the
// shared one when there is none yet.
func (f *fieldSets) intern(fields map[string]any) map[string]any {
	data, err := json.Marshal(fields)
	if err != nil {
		return fields
	}
	sum := sha256.Sum256(data)
	key := string(sum[:])
	if shared, ok := f.shared.Get(key); ok {
		return shared
	}
	internStrings(fields)
	f.shared.Add(key, fields)
	return fields
}
