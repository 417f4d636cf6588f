package generators

import (
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// list yields the elements of a List generator, then those of its
// elementsYaml. In the flat form every element value must be a string, and
// the keys of a "values" object become values.<key>.
func (r *run) list(list *v1alpha1.ListGenerator) ([]map[string]any, error) {
	params := make([]map[string]any, 0, len(list.Elements))
	for i, raw := range list.Elements {
		element := map[string]any{}
		if err := json.Unmarshal(raw.Raw, &element); err != nil {
			return nil, fmt.Errorf("elements[%d] is not a JSON object: %w", i, err)
		}
		if r.goTemplate() {
			params = append(params, element)
			continue
		}
		flat, err := flatListElement(element)
		if err != nil {
			return nil, fmt.Errorf("elements[%d]: %w", i, err)
		}
		params = append(params, flat)
	}
	if list.ElementsYaml != "" {
		var elements []map[string]any
		if err := yaml.Unmarshal([]byte(list.ElementsYaml), &elements); err != nil {
			return nil, fmt.Errorf("elementsYaml is not a YAML list of objects: %w", err)
		}
		params = append(params, elements...)
	}
	return params, nil
}

// flatListElement checks and flattens one element for {{param}} templates.
func flatListElement(element map[string]any) (map[string]any, error) {
	params := map[string]any{}
	for key, value := range element {
		if key != "values" {
			text, ok := value.(string)
			if !ok {
				return nil, fmt.Errorf("the value of %q is not a string (use goTemplate for other values)", key)
			}
			params[key] = text
			continue
		}
		values, ok := value.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("values is not an object")
		}
		for name, item := range values {
			text, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("the value of values.%s is not a string", name)
			}
			params["values."+name] = text
		}
	}
	return params, nil
}
