package cluster

import (
	"crypto/sha256"
	"encoding/json"

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

// transform is the informers' TransformFunc: it replaces each fieldsV1 of
// obj with an equal one already held by another cached object.
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
	return obj, nil
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
	f.shared.Add(key, fields)
	return fields
}
