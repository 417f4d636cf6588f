// Package ignorepath checks and compiles the paths that ignoreDifferences
// names — RFC 6901 JSON pointers and jq path expressions — so that they can
// only remove fields from the compared copies of an object: never change what
// the object is (apiVersion, kind, metadata.name, metadata.namespace, which
// Secret masking and every later step rely on), never run arbitrary jq
// programs, never read the server's environment.
package ignorepath

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/itchyny/gojq"
)

// identityPointers are the JSON pointers whose removal would change what an
// object is, and their parents.
var identityPointers = map[string]bool{
	"/apiVersion": true, "/kind": true, "/metadata": true, "/metadata/name": true, "/metadata/namespace": true,
}

// CheckJSONPointer returns why pointer cannot be an ignoreDifferences JSON
// pointer, or nil: it must be an RFC 6901 pointer to a field ("/spec/replicas")
// and must not name apiVersion, kind, metadata, metadata.name or
// metadata.namespace.
func CheckJSONPointer(pointer string) error {
	if !strings.HasPrefix(pointer, "/") {
		return errors.New("must be a JSON pointer starting with /, e.g. /spec/replicas")
	}
	for i := 0; i < len(pointer); i++ {
		if pointer[i] == '~' && (i+1 == len(pointer) || (pointer[i+1] != '0' && pointer[i+1] != '1')) {
			return errors.New("~ must be followed by 0 (for ~) or 1 (for /)")
		}
	}
	if pointer == "/" {
		return errors.New("must name a field, not the whole object")
	}
	if identityPointers[strings.TrimRight(pointer, "/")] {
		return errors.New("must not name apiVersion, kind, metadata, metadata.name or metadata.namespace: they say what the object is")
	}
	return nil
}

// Tokens splits a checked JSON pointer into its unescaped reference tokens.
func Tokens(pointer string) []string {
	tokens := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	for i := range tokens {
		tokens[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(tokens[i])
	}
	return tokens
}

// CompileJQ compiles a jq path expression into del(expr), built from the
// parsed expression rather than by pasting text, so that the expression
// cannot close the del( and run a program of its own. Definitions, imports
// and module directives are refused; $ENV and env see an empty environment.
func CompileJQ(expr string) (*gojq.Code, error) {
	return compileWrapped(expr, "del")
}

// CompilePathsJQ compiles a jq path expression into path(expr), which lists
// the paths it selects, under the same rules as CompileJQ.
func CompilePathsJQ(expr string) (*gojq.Code, error) {
	return compileWrapped(expr, "path")
}

// compileWrapped compiles function(expr) for a jq path expression expr.
func compileWrapped(expr, function string) (*gojq.Code, error) {
	parsed, err := parseJQ(expr)
	if err != nil {
		return nil, err
	}
	wrapped := &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: function, Args: []*gojq.Query{parsed}}}}
	code, err := gojq.Compile(wrapped, gojq.WithEnvironLoader(func() []string { return nil }))
	if err != nil {
		return nil, fmt.Errorf("must be a jq path expression: %v", err)
	}
	return code, nil
}

// parseJQ parses a jq path expression and checks it is in the accepted
// subset (subset.go).
func parseJQ(expr string) (*gojq.Query, error) {
	parsed, err := gojq.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("must be a jq path expression: %v", err)
	}
	if parsed.Meta != nil || len(parsed.Imports) > 0 || len(parsed.FuncDefs) > 0 {
		return nil, errors.New("must be a jq path expression, without definitions, imports or module directives")
	}
	if err := checkQuery(parsed); err != nil {
		return nil, err
	}
	return parsed, nil
}

// checkTimeout bounds the trial run of an expression during validation.
const checkTimeout = time.Second

// probe is an object every path expression is tried on when it is checked:
// one that removes or changes its identity fields is refused.
func probe() map[string]any {
	return map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "probe", "namespace": "probe", "labels": map[string]any{"a": "b"}},
		"data":     map[string]any{"key": "dmFsdWU="},
		"spec":     map[string]any{"replicas": float64(1), "template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "i"}}}}},
	}
}

// CheckJQ returns why expr cannot be an ignoreDifferences jq path expression,
// or nil: it must compile with CompileJQ and must leave the identity fields of
// an object alone. Expressions that fail on the probe object (they expect
// fields it lacks) are accepted; the comparison checks identities again.
func CheckJQ(expr string) error {
	code, err := CompileJQ(expr)
	if err != nil {
		return err
	}
	input := probe()
	before := Identity(input)
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	value, ok := code.RunWithContext(ctx, input).Next()
	if !ok {
		return nil
	}
	if failure, failed := value.(error); failed {
		if ctx.Err() != nil {
			return fmt.Errorf("must be a jq path expression that finishes within %s", checkTimeout)
		}
		if strings.HasPrefix(failure.Error(), "invalid path") {
			return errors.New("must be a jq path expression: it does not name paths of the object")
		}
		return nil
	}
	result, isObject := value.(map[string]any)
	if !isObject || Identity(result) != before {
		return errors.New("must not remove or change apiVersion, kind, metadata.name or metadata.namespace: they say what the object is")
	}
	return nil
}

// Identity is what an object is: apiVersion, kind, namespace and name, as one
// comparable value.
func Identity(object map[string]any) string {
	metadata, _ := object["metadata"].(map[string]any)
	field := func(m map[string]any, key string) string {
		value, _ := m[key].(string)
		return value
	}
	return strings.Join([]string{field(object, "apiVersion"), field(object, "kind"), field(metadata, "namespace"), field(metadata, "name")}, "\x00")
}
