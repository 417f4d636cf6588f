package luascript

import (
	"context"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Actions returns the Lua actions of a kind, or nil.
func (c *Customizations) Actions(gk schema.GroupKind) *ActionSet {
	if c == nil {
		return nil
	}
	set, _ := c.actions.lookup(gk)
	return set
}

// Discover runs the discovery script with the global obj and returns the
// names of the actions it enables: the keys of the table it returns whose
// value does not set disabled = true.
func (a *ActionSet) Discover(ctx context.Context, obj *unstructured.Unstructured) ([]string, error) {
	out, err := a.Discovery.run(ctx, a.limits, map[string]any{"obj": obj.Object}, nil)
	if err != nil {
		return nil, err
	}
	table, ok := out.(map[string]any)
	if out != nil && !ok {
		return nil, fmt.Errorf("%s: returned %T, want a table of actions", a.Discovery.name, out)
	}
	var names []string
	for name, value := range table {
		if settings, ok := value.(map[string]any); ok && settings["disabled"] == true {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// ActionOutput is what a Lua action changes.
type ActionOutput struct {
	// Object is the acted-on object as the action leaves it, or nil.
	Object *unstructured.Unstructured
	// Created are objects to create.
	Created []*unstructured.Unstructured
}

// Run runs the action name with Argo CD's contract: the globals obj and
// actionParams (name to value); the script returns the changed object, or
// a list of {operation = "create" | "patch", resource = ...} entries
// (impacted resources), where a patch may only change obj itself.
func (a *ActionSet) Run(ctx context.Context, name string, obj *unstructured.Unstructured, params map[string]string) (ActionOutput, error) {
	script, ok := a.Definitions[name]
	if !ok {
		return ActionOutput{}, fmt.Errorf("no Lua action %q", name)
	}
	out, err := script.run(ctx, a.limits, map[string]any{"obj": obj.Object, "actionParams": params}, obj.Object)
	if err != nil {
		return ActionOutput{}, err
	}
	switch result := out.(type) {
	case map[string]any:
		return ActionOutput{Object: &unstructured.Unstructured{Object: result}}, nil
	case []any:
		return impactedResources(script.name, obj, result)
	}
	return ActionOutput{}, fmt.Errorf("%s: returned %T, want the changed object or a list of impacted resources", script.name, out)
}

func impactedResources(name string, obj *unstructured.Unstructured, entries []any) (ActionOutput, error) {
	var output ActionOutput
	for i, entry := range entries {
		fields, _ := entry.(map[string]any)
		resource, _ := fields["resource"].(map[string]any)
		if resource == nil {
			return ActionOutput{}, fmt.Errorf("%s: impacted resource %d has no resource", name, i+1)
		}
		impacted := &unstructured.Unstructured{Object: resource}
		switch operation, _ := fields["operation"].(string); operation {
		case "create":
			output.Created = append(output.Created, impacted)
		case "patch":
			if impacted.GetName() != obj.GetName() || impacted.GetNamespace() != obj.GetNamespace() ||
				impacted.GroupVersionKind().GroupKind() != obj.GroupVersionKind().GroupKind() {
				return ActionOutput{}, fmt.Errorf("%s: impacted resource %d patches %s %s, not the resource the action runs on", name, i+1, impacted.GetKind(), impacted.GetName())
			}
			output.Object = impacted
		default:
			return ActionOutput{}, fmt.Errorf("%s: impacted resource %d has operation %q, want create or patch", name, i+1, operation)
		}
	}
	return output, nil
}
