package generators

import (
	"context"
	"encoding/json"
	"fmt"

	"dario.cat/mergo"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// matrix yields every combination of a parameter set of the first child with
// a parameter set of the second child, which is rendered with the first
// child's parameters before it runs (so it may use them). The first child's
// values win on conflicts with goTemplate; in the flat form a key with two
// different values is an error, as in Argo CD.
func (r *run) matrix(ctx context.Context, matrix *composite, depth int) ([]map[string]any, error) {
	if len(matrix.Generators) != 2 {
		return nil, fmt.Errorf("a matrix generator needs exactly two generators, found %d", len(matrix.Generators))
	}
	first, err := r.child(ctx, &matrix.Generators[0], nil, depth)
	if err != nil {
		return nil, fmt.Errorf("first matrix generator: %w", err)
	}
	combined := []map[string]any{}
	for _, a := range first {
		second, err := r.child(ctx, &matrix.Generators[1], a, depth)
		if err != nil {
			return nil, fmt.Errorf("second matrix generator: %w", err)
		}
		for _, b := range second {
			params, err := r.combine(a, b)
			if err != nil {
				return nil, err
			}
			combined = append(combined, params)
		}
	}
	return combined, nil
}

// combine joins one parameter set of each matrix child.
func (r *run) combine(a, b map[string]any) (map[string]any, error) {
	if r.goTemplate() {
		combined := map[string]any{}
		if err := mergo.Merge(&combined, deepCopyParams(b), mergo.WithOverride); err != nil {
			return nil, fmt.Errorf("combine matrix parameters: %w", err)
		}
		if err := mergo.Merge(&combined, deepCopyParams(a), mergo.WithOverride); err != nil {
			return nil, fmt.Errorf("combine matrix parameters: %w", err)
		}
		return combined, nil
	}
	combined := map[string]any{}
	for key, value := range flatten(a) {
		combined[key] = value
	}
	for key, value := range flatten(b) {
		if current, ok := combined[key]; ok && current != value {
			return nil, fmt.Errorf("found duplicate key %s with different value, a: %s ,b: %s", key, current, value)
		}
		combined[key] = value
	}
	return combined, nil
}

// merge yields the first child's parameter sets, each overridden by the
// parameter sets of later children whose mergeKeys values are the same. A
// later set that matches no base set is dropped; two sets of one child with
// the same mergeKeys values are an error.
func (r *run) merge(ctx context.Context, merge *composite, depth int) ([]map[string]any, error) {
	if len(merge.Generators) < 2 {
		return nil, fmt.Errorf("a merge generator needs at least two generators, found %d", len(merge.Generators))
	}
	if len(merge.MergeKeys) == 0 {
		return nil, fmt.Errorf("a merge generator needs at least one merge key")
	}
	var base []map[string]any
	byKey := map[string]int{}
	for i := range merge.Generators {
		params, err := r.child(ctx, &merge.Generators[i], nil, depth)
		if err != nil {
			return nil, fmt.Errorf("merge generator %d of %d: %w", i+1, len(merge.Generators), err)
		}
		keyed, keys, err := byMergeKeys(merge.MergeKeys, params)
		if err != nil {
			return nil, fmt.Errorf("merge generator %d of %d: %w", i+1, len(merge.Generators), err)
		}
		if i == 0 {
			// The sets may be shared with another use of the same child: copy.
			base = append([]map[string]any(nil), params...)
			for position, key := range keys {
				byKey[key] = position
			}
			continue
		}
		for key, override := range keyed {
			position, ok := byKey[key]
			if !ok {
				continue
			}
			merged, err := r.override(base[position], override)
			if err != nil {
				return nil, err
			}
			base[position] = merged
		}
	}
	return base, nil
}

// override applies a later merge child's parameter set over a base set.
func (r *run) override(base, override map[string]any) (map[string]any, error) {
	if r.goTemplate() {
		merged := deepCopyParams(base)
		if err := mergo.Merge(&merged, deepCopyParams(override), mergo.WithOverride); err != nil {
			return nil, fmt.Errorf("merge parameters: %w", err)
		}
		return merged, nil
	}
	merged := map[string]any{}
	for key, value := range flatten(base) {
		merged[key] = value
	}
	for key, value := range flatten(override) {
		merged[key] = value
	}
	return merged, nil
}

// byMergeKeys indexes parameter sets by the JSON of their mergeKeys values.
func byMergeKeys(mergeKeys []string, params []map[string]any) (map[string]map[string]any, []string, error) {
	keyed := make(map[string]map[string]any, len(params))
	keys := make([]string, len(params))
	for i, set := range params {
		values := map[string]any{}
		for _, name := range mergeKeys {
			values[name] = set[name]
		}
		data, err := json.Marshal(values)
		if err != nil {
			return nil, nil, fmt.Errorf("merge keys: %w", err)
		}
		key := string(data)
		if _, exists := keyed[key]; exists {
			return nil, nil, fmt.Errorf("the parameters from a generator were not unique by the given mergeKeys, Merge requires all param sets to be unique. Duplicate key was %s", key)
		}
		keyed[key], keys[i] = set, key
	}
	return keyed, keys, nil
}

// child runs a child of a matrix or merge: without template override, with
// its selector, rendered with parentParams when given. Children that render
// to the same generator run once per generation.
func (r *run) child(ctx context.Context, e *entry, parentParams map[string]any, depth int) ([]map[string]any, error) {
	if len(parentParams) > 0 {
		interpolated := &entry{}
		if err := r.renderer.Object(e, parentParams, interpolated); err != nil {
			return nil, fmt.Errorf("render the generator with the parameters of the first matrix generator: %w", err)
		}
		e = interpolated
	}
	key, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	if cached, ok := r.children[string(key)]; ok {
		return cached, nil
	}
	result, err := r.transform(ctx, e, v1alpha1.ApplicationSetTemplate{}, nil, depth+1)
	if err != nil {
		return nil, err
	}
	if r.children == nil {
		r.children = map[string][]map[string]any{}
	}
	r.children[string(key)] = result.Params
	return result.Params, nil
}

// deepCopyParams copies a parameter set with its nested maps and lists, so
// that merging never changes a set another combination shares.
func deepCopyParams(params map[string]any) map[string]any {
	return deepCopyValue(params).(map[string]any)
}

func deepCopyValue(value any) any {
	switch v := value.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for key, item := range v {
			out[key] = deepCopyValue(item)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = deepCopyValue(item)
		}
		return out
	default:
		return value
	}
}
