package diff

import (
	"bytes"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// ownedFields returns the fields that the given managers own in live, read from
// its managedFields, for ignoreDifferences.managedFieldsManagers.
func ownedFields(live *unstructured.Unstructured, managers []string) (*fieldpath.Set, error) {
	owned := fieldpath.NewSet()
	if live == nil || len(managers) == 0 {
		return owned, nil
	}
	wanted := map[string]bool{}
	for _, manager := range managers {
		wanted[manager] = true
	}
	for _, entry := range live.GetManagedFields() {
		if !wanted[entry.Manager] || entry.FieldsV1 == nil {
			continue
		}
		set := fieldpath.NewSet()
		if err := set.FromJSON(bytes.NewReader(entry.FieldsV1.Raw)); err != nil {
			return nil, fmt.Errorf("managedFields of %s: %w", entry.Manager, err)
		}
		owned = owned.Union(set)
	}
	return owned, nil
}

// removeFields deletes every leaf of set from obj.
func removeFields(obj *unstructured.Unstructured, set *fieldpath.Set) {
	if obj == nil || set.Empty() {
		return
	}
	set.Leaves().Iterate(func(path fieldpath.Path) {
		removePath(obj.Object, path)
	})
}

func removePath(node interface{}, path fieldpath.Path) {
	if len(path) == 0 {
		return
	}
	element, last := path[0], len(path) == 1
	switch typed := node.(type) {
	case map[string]interface{}:
		if element.FieldName == nil {
			return
		}
		if last {
			delete(typed, *element.FieldName)
			return
		}
		removePath(typed[*element.FieldName], path[1:])
	case []interface{}:
		for i, item := range typed {
			if !elementMatches(element, i, item) {
				continue
			}
			if last {
				typed[i] = nil
				return
			}
			removePath(item, path[1:])
			return
		}
	}
}

// elementMatches reports whether a list item is the one a path element names:
// by index, by its key fields, or by value for sets.
func elementMatches(element fieldpath.PathElement, index int, item interface{}) bool {
	switch {
	case element.Index != nil:
		return *element.Index == index
	case element.Key != nil:
		fields, ok := item.(map[string]interface{})
		if !ok {
			return false
		}
		for _, key := range *element.Key {
			field, ok := fields[key.Name]
			if !ok || !value.Equals(key.Value, value.NewValueInterface(field)) {
				return false
			}
		}
		return true
	case element.Value != nil:
		return value.Equals(*element.Value, value.NewValueInterface(item))
	}
	return false
}
