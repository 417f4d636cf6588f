package diff

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// FieldManager is the field manager of Capstan's applies and server-side
// dry runs (compare.FieldManager, sync.FieldManager).
const FieldManager = "capstan"

// visibleContent is what a comparison of target with live can see of live,
// for the outcome key: a server-side apply of target changes only the fields
// target sets and the fields FieldManager owns (which it removes when target
// no longer sets them); every other field of the predicted object is the
// live one, on both sides of the comparison. So the live values outside
// those fields, and the managedFields entries of other managers, cannot
// change the outcome — a Deployment whose deployment.kubernetes.io/revision
// annotation kube-controller-manager sets after the sync created it is not
// dry-run again. Inside a field both set, maps are narrowed the same way;
// lists and values are kept whole. ok is false when no managedFields entry
// of FieldManager says what it owns: the whole content counts then.
func visibleContent(live, target *unstructured.Unstructured) (map[string]any, bool) {
	owned, entries := ownedBy(live, FieldManager)
	if owned == nil {
		return nil, false
	}
	content := narrow(live.Object, target.Object, owned)
	delete(content, "status")
	metadata, _ := content["metadata"].(map[string]any)
	if metadata == nil {
		metadata = map[string]any{}
	}
	delete(metadata, "resourceVersion")
	delete(metadata, "generation")
	metadata["managedFields"] = entries
	content["metadata"] = metadata
	return content, true
}

// ownedBy returns the union of the fieldsV1 of manager's managedFields
// entries (not those of the status subresource) and those entries without
// their times; nil when there is none.
func ownedBy(live *unstructured.Unstructured, manager string) (map[string]any, []any) {
	metadata, _ := live.Object["metadata"].(map[string]any)
	list, _ := metadata["managedFields"].([]any)
	var owned map[string]any
	var entries []any
	for _, item := range list {
		entry, ok := item.(map[string]any)
		if !ok || entry["manager"] != manager || entry["subresource"] == "status" {
			continue
		}
		fields, ok := entry["fieldsV1"].(map[string]any)
		if !ok {
			// Not a field set this code can read: say nothing.
			return nil, nil
		}
		if owned == nil {
			owned = map[string]any{}
		}
		mergeFieldSets(owned, fields)
		copied := make(map[string]any, len(entry))
		for name, value := range entry {
			if name != "time" {
				copied[name] = value
			}
		}
		entries = append(entries, copied)
	}
	return owned, entries
}

// mergeFieldSets adds the field set from to into.
func mergeFieldSets(into, from map[string]any) {
	for key, value := range from {
		sub, isMap := value.(map[string]any)
		existing, exists := into[key].(map[string]any)
		switch {
		case isMap && exists:
			mergeFieldSets(existing, sub)
		case isMap:
			copied := map[string]any{}
			mergeFieldSets(copied, sub)
			into[key] = copied
		default:
			into[key] = value
		}
	}
}

// narrow keeps of live the fields target sets or owned names ("f:<name>"),
// narrowing maps that target sets in turn.
func narrow(live, target, owned map[string]any) map[string]any {
	out := make(map[string]any, len(live))
	for name, value := range live {
		targetValue, inTarget := target[name]
		ownedValue, isOwned := owned["f:"+name]
		if !inTarget && !isOwned {
			continue
		}
		liveMap, liveIsMap := value.(map[string]any)
		targetMap, targetIsMap := targetValue.(map[string]any)
		if inTarget && liveIsMap && targetIsMap {
			ownedMap, _ := ownedValue.(map[string]any)
			out[name] = narrow(liveMap, targetMap, ownedMap)
			continue
		}
		out[name] = value
	}
	return out
}

// readsAnyField tells whether the rules that match obj could read fields a
// comparison does not otherwise see: a jq expression may select on any
// field, and managedFieldsManagers follow other managers' entries.
func (r *IgnoreRules) readsAnyField(obj *unstructured.Unstructured) bool {
	if r == nil {
		return false
	}
	for _, rule := range r.rules {
		if matches(rule, obj) && (len(rule.JQPathExpressions) > 0 || len(rule.ManagedFieldsManagers) > 0) {
			return true
		}
	}
	return false
}
