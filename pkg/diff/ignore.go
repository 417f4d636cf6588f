package diff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/itchyny/gojq"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/diff/ignorepath"
)

// DefaultJQTimeout bounds one jq path expression, as Argo CD's
// ignore.normalizer.jq.timeout does.
const DefaultJQTimeout = time.Second

// IgnoreRules removes the fields an Application's ignoreDifferences (and the
// system-wide rules) exclude from comparison. Compiled jq expressions are
// cached, so rules can be applied on every comparison cheaply.
type IgnoreRules struct {
	rules     []v1alpha1.ResourceIgnoreDifferences
	jqTimeout time.Duration

	mu      sync.Mutex
	queries map[string]*gojq.Code
}

// NewIgnoreRules returns the rules of an Application plus system-level ones.
func NewIgnoreRules(jqTimeout time.Duration, rules ...[]v1alpha1.ResourceIgnoreDifferences) *IgnoreRules {
	if jqTimeout <= 0 {
		jqTimeout = DefaultJQTimeout
	}
	r := &IgnoreRules{jqTimeout: jqTimeout, queries: map[string]*gojq.Code{}}
	for _, set := range rules {
		r.rules = append(r.rules, set...)
	}
	return r
}

// Managers returns the field managers whose fields are ignored for obj.
func (r *IgnoreRules) Managers(obj *unstructured.Unstructured) []string {
	var managers []string
	for _, rule := range r.rules {
		if matches(rule, obj) {
			managers = append(managers, rule.ManagedFieldsManagers...)
		}
	}
	return managers
}

// Apply removes the ignored fields from obj in place. An expression that fails
// (bad pointer, jq error or timeout) is reported; the fields it would have
// removed then count as differences, so nothing is hidden by mistake.
func (r *IgnoreRules) Apply(ctx context.Context, obj *unstructured.Unstructured) (err error) {
	if obj == nil {
		return nil
	}
	identity := ignorepath.Identity(obj.Object)
	defer func() {
		// Paths are checked when written; this guards the rules of argocd-cm
		// and anything a check missed: an object whose identity changed would
		// escape Secret masking and be compared as something else.
		if err == nil && ignorepath.Identity(obj.Object) != identity {
			err = errors.New("ignoreDifferences changed the object's apiVersion, kind, name or namespace; such rules are refused")
		}
	}()
	for _, rule := range r.rules {
		if !matches(rule, obj) {
			continue
		}
		for _, pointer := range rule.JSONPointers {
			if err := removePointer(obj.Object, pointer); err != nil {
				return fmt.Errorf("ignoreDifferences jsonPointer %q: %w", pointer, err)
			}
		}
		for _, expr := range rule.JQPathExpressions {
			if err := r.removeJQ(ctx, obj, expr); err != nil {
				return fmt.Errorf("ignoreDifferences jqPathExpression %q: %w", expr, err)
			}
		}
	}
	return nil
}

// matches reports whether a rule selects obj; group and kind accept "*".
func matches(rule v1alpha1.ResourceIgnoreDifferences, obj *unstructured.Unstructured) bool {
	gvk := obj.GroupVersionKind()
	if rule.Group != "*" && rule.Group != gvk.Group {
		return false
	}
	if rule.Kind != "*" && rule.Kind != gvk.Kind {
		return false
	}
	if rule.Name != "" && rule.Name != obj.GetName() {
		return false
	}
	return rule.Namespace == "" || rule.Namespace == obj.GetNamespace()
}

// removePointer deletes the value an RFC 6901 JSON pointer names; a pointer to
// nothing is not an error (the field is simply absent).
func removePointer(doc map[string]interface{}, pointer string) error {
	if err := ignorepath.CheckJSONPointer(pointer); err != nil {
		return err
	}
	tokens := ignorepath.Tokens(pointer)
	var parent interface{} = doc
	for i, token := range tokens {
		last := i == len(tokens)-1
		switch node := parent.(type) {
		case map[string]interface{}:
			if last {
				delete(node, token)
				return nil
			}
			parent = node[token]
		case []interface{}:
			index, err := strconv.Atoi(token)
			if err != nil || index < 0 || index >= len(node) {
				return nil
			}
			if last {
				// Lists cannot shrink in place; blank the entry so both sides compare equal.
				node[index] = nil
				return nil
			}
			parent = node[index]
		default:
			return nil
		}
	}
	return nil
}

func (r *IgnoreRules) removeJQ(ctx context.Context, obj *unstructured.Unstructured, expr string) error {
	code, err := r.compile(expr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, r.jqTimeout)
	defer cancel()
	// gojq wants JSON-typed input (float64 numbers); unstructured wants int64.
	input, err := toJQInput(obj.Object)
	if err != nil {
		return err
	}
	iter := code.RunWithContext(ctx, input)
	value, ok := iter.Next()
	if !ok {
		return nil
	}
	if err, isErr := value.(error); isErr {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return fmt.Errorf("timed out after %s", r.jqTimeout)
		}
		// jq's messages quote the values they failed on, and the object may
		// be a Secret: say only that it failed.
		return errors.New("fails on this object (jq's message is not shown: it may quote the object's values)")
	}
	if _, isMap := value.(map[string]interface{}); !isMap {
		return fmt.Errorf("result is not an object")
	}
	data, err := json.Marshal(value)
	if err != nil {
		return err
	}
	result := map[string]interface{}{}
	if err := utiljson.Unmarshal(data, &result); err != nil {
		return err
	}
	obj.Object = result
	return nil
}

func toJQInput(object map[string]interface{}) (interface{}, error) {
	data, err := json.Marshal(object)
	if err != nil {
		return nil, err
	}
	var input interface{}
	err = json.Unmarshal(data, &input)
	return input, err
}

func (r *IgnoreRules) compile(expr string) (*gojq.Code, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if code, ok := r.queries[expr]; ok {
		return code, nil
	}
	code, err := ignorepath.CompileJQ(expr)
	if err != nil {
		return nil, err
	}
	r.queries[expr] = code
	return code, nil
}
