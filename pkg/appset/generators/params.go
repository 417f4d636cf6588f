package generators

import (
	"fmt"
	"slices"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/appset/template"
)

// flatten turns nested parameters into the flat form: nested keys joined by
// dots, list items by their index ("a.b", "a.0"), every value formatted with
// %v, as Argo CD's flattening does for selectors and flat parameters.
func flatten(params map[string]any) map[string]string {
	flat := map[string]string{}
	var walk func(prefix string, value any)
	walk = func(prefix string, value any) {
		switch v := value.(type) {
		case map[string]any:
			for key, item := range v {
				walk(join(prefix, key), item)
			}
		case map[string]string:
			for key, item := range v {
				flat[join(prefix, key)] = item
			}
		case []any:
			for i, item := range v {
				walk(join(prefix, strconv.Itoa(i)), item)
			}
		case []string:
			for i, item := range v {
				flat[join(prefix, strconv.Itoa(i))] = item
			}
		default:
			flat[prefix] = fmt.Sprintf("%v", value)
		}
	}
	for key, value := range params {
		walk(key, value)
	}
	return flat
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// flatParams is flatten as parameters.
func flatParams(object map[string]any) map[string]any {
	params := map[string]any{}
	for key, value := range flatten(object) {
		params[key] = value
	}
	return params
}

// appendValues renders a generator's values with the parameters built so
// far and adds them: as values.<key> in the flat form, as a values map with
// goTemplate (replacing any values the parameters had).
func appendValues(values map[string]string, params map[string]any, renderer *template.Renderer) error {
	if len(values) == 0 {
		return nil
	}
	rendered := map[string]any{}
	for key, value := range values {
		result, err := renderer.Replace(value, params)
		if err != nil {
			return fmt.Errorf("values.%s: %w", key, err)
		}
		rendered[key] = result
	}
	if renderer.Options().GoTemplate {
		params["values"] = rendered
		return nil
	}
	for key, value := range rendered {
		params["values."+key] = value
	}
	return nil
}

// selectParams keeps the parameter sets a generator's selector matches,
// comparing its labels with the flattened parameters. Unlike Kubernetes label
// selectors, values are not restricted (they may be URLs).
func selectParams(selector *metav1.LabelSelector, params []map[string]any) ([]map[string]any, error) {
	if selector == nil {
		return params, nil
	}
	for _, expression := range selector.MatchExpressions {
		switch expression.Operator {
		case metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn:
			if len(expression.Values) == 0 {
				return nil, fmt.Errorf("selector: operator %s of key %q needs values", expression.Operator, expression.Key)
			}
		case metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist:
			if len(expression.Values) > 0 {
				return nil, fmt.Errorf("selector: operator %s of key %q takes no values", expression.Operator, expression.Key)
			}
		default:
			return nil, fmt.Errorf("selector: %q is not a valid operator", expression.Operator)
		}
	}
	selected := []map[string]any{}
	for _, set := range params {
		if selectorMatches(selector, flatten(set)) {
			selected = append(selected, set)
		}
	}
	return selected, nil
}

func selectorMatches(selector *metav1.LabelSelector, labels map[string]string) bool {
	for key, want := range selector.MatchLabels {
		if got, ok := labels[key]; !ok || got != want {
			return false
		}
	}
	for _, expression := range selector.MatchExpressions {
		value, ok := labels[expression.Key]
		switch expression.Operator {
		case metav1.LabelSelectorOpIn:
			if !ok || !slices.Contains(expression.Values, value) {
				return false
			}
		case metav1.LabelSelectorOpNotIn:
			if ok && slices.Contains(expression.Values, value) {
				return false
			}
		case metav1.LabelSelectorOpExists:
			if !ok {
				return false
			}
		case metav1.LabelSelectorOpDoesNotExist:
			if ok {
				return false
			}
		}
	}
	return true
}

// copyParams copies the top level of a parameter set.
func copyParams(params map[string]any) map[string]any {
	out := make(map[string]any, len(params))
	for key, value := range params {
		out[key] = value
	}
	return out
}
