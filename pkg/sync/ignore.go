package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/itchyny/gojq"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/diff/ignorepath"
)

// jqTimeout bounds one jq path expression, as diff.DefaultJQTimeout does.
const jqTimeout = time.Second

// respectIgnoreDifferences is RespectIgnoreDifferences=true: for resources
// that exist, the target takes the live value at every path the ignore rules
// name (or loses the field when live has none), so that applying it leaves
// ignored fields as they are.
func respectIgnoreDifferences(tasks []*Task, rules []v1alpha1.ResourceIgnoreDifferences) error {
	for _, task := range tasks {
		if task.Target == nil || task.Live == nil || task.Hook {
			continue
		}
		var patched *unstructured.Unstructured
		for _, rule := range rules {
			if !ruleMatches(rule, task.Target) {
				continue
			}
			if patched == nil {
				patched = task.Target.DeepCopy()
			}
			for _, pointer := range rule.JSONPointers {
				path, err := pointerPath(pointer)
				if err != nil {
					return fmt.Errorf("ignoreDifferences jsonPointer %q: %w", pointer, err)
				}
				copyPath(task.Live.Object, patched.Object, path)
			}
			for _, expr := range rule.JQPathExpressions {
				if err := copyJQPaths(task.Live, patched, expr); err != nil {
					return fmt.Errorf("ignoreDifferences jqPathExpression %q: %w", expr, err)
				}
			}
		}
		if patched != nil {
			task.Target = patched
		}
	}
	return nil
}

// ruleMatches reports whether an ignore rule selects obj; group and kind accept "*".
func ruleMatches(rule v1alpha1.ResourceIgnoreDifferences, obj *unstructured.Unstructured) bool {
	gvk := obj.GroupVersionKind()
	return (rule.Group == "*" || rule.Group == gvk.Group) &&
		(rule.Kind == "*" || rule.Kind == gvk.Kind) &&
		(rule.Name == "" || rule.Name == obj.GetName()) &&
		(rule.Namespace == "" || rule.Namespace == obj.GetNamespace())
}

// pointerPath splits an RFC 6901 pointer into its tokens.
func pointerPath(pointer string) ([]any, error) {
	if pointer == "" || pointer == "/" {
		return nil, fmt.Errorf("refusing to ignore the whole object")
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, fmt.Errorf("must start with /")
	}
	unescape := strings.NewReplacer("~1", "/", "~0", "~")
	var path []any
	for _, token := range strings.Split(pointer[1:], "/") {
		path = append(path, unescape.Replace(token))
	}
	return path, nil
}

// copyJQPaths copies the live values at the paths a jq expression selects.
func copyJQPaths(live, target *unstructured.Unstructured, expr string) error {
	code, err := ignorepath.CompilePathsJQ(expr)
	if err != nil {
		return err
	}
	var paths [][]any
	for _, obj := range []*unstructured.Unstructured{live, target} {
		found, err := jqPaths(code, obj)
		if err != nil {
			return err
		}
		paths = append(paths, found...)
	}
	for _, path := range paths {
		copyPath(live.Object, target.Object, path)
	}
	return nil
}

func jqPaths(code *gojq.Code, obj *unstructured.Unstructured) ([][]any, error) {
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, err
	}
	var input any
	if err := json.Unmarshal(data, &input); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), jqTimeout)
	defer cancel()
	var paths [][]any
	iter := code.RunWithContext(ctx, input)
	for {
		value, ok := iter.Next()
		if !ok {
			return paths, nil
		}
		if err, isErr := value.(error); isErr {
			return nil, err
		}
		if path, isPath := value.([]any); isPath {
			paths = append(paths, path)
		}
	}
}

// copyPath sets target's value at path to live's, or removes it from target
// when live has none. Paths through missing or mismatched nodes are left alone.
func copyPath(live, target map[string]any, path []any) {
	value, found := lookupPath(live, path)
	if !found {
		removePath(target, path)
		return
	}
	setPath(target, path, value)
}

func lookupPath(node any, path []any) (any, bool) {
	for _, token := range path {
		next, ok := child(node, token)
		if !ok {
			return nil, false
		}
		node = next
	}
	return node, true
}

func child(node, token any) (any, bool) {
	switch n := node.(type) {
	case map[string]any:
		key, ok := token.(string)
		if !ok {
			return nil, false
		}
		value, ok := n[key]
		return value, ok
	case []any:
		index, ok := listIndex(token)
		if !ok || index >= len(n) {
			return nil, false
		}
		return n[index], true
	}
	return nil, false
}

func listIndex(token any) (int, bool) {
	switch t := token.(type) {
	case int:
		return t, t >= 0
	case float64:
		return int(t), t >= 0
	case string:
		index, err := strconv.Atoi(t)
		return index, err == nil && index >= 0
	}
	return 0, false
}

func setPath(target map[string]any, path []any, value any) {
	var node any = target
	for i, token := range path {
		last := i == len(path)-1
		switch n := node.(type) {
		case map[string]any:
			key, ok := token.(string)
			if !ok {
				return
			}
			if last {
				n[key] = deepCopyJSON(value)
				return
			}
			if _, exists := n[key]; !exists {
				n[key] = map[string]any{}
			}
			node = n[key]
		case []any:
			index, ok := listIndex(token)
			if !ok || index >= len(n) {
				return
			}
			if last {
				n[index] = deepCopyJSON(value)
				return
			}
			node = n[index]
		default:
			return
		}
	}
}

func removePath(target map[string]any, path []any) {
	if len(path) == 0 {
		return
	}
	parent, found := lookupPath(target, path[:len(path)-1])
	if !found {
		return
	}
	if m, ok := parent.(map[string]any); ok {
		if key, ok := path[len(path)-1].(string); ok {
			delete(m, key)
		}
	}
}

// deepCopyJSON copies a JSON value so target and live never share nodes; it
// also turns jq's float numbers back into the int64 unstructured wants.
func deepCopyJSON(value any) any {
	data, err := json.Marshal(value)
	if err != nil {
		return value
	}
	var out any
	if err := utiljson.Unmarshal(data, &out); err != nil {
		return value
	}
	return out
}
