package ignorepath

import (
	"context"
	"strings"
	"testing"
)

func TestCheckJSONPointer(t *testing.T) {
	tests := []struct {
		pointer string
		// wantErr is a phrase of the error; empty means accepted.
		wantErr string
	}{
		{pointer: "/spec/replicas"},
		{pointer: "/metadata/labels/app"},
		{pointer: "/data/password"},
		{pointer: "/metadata/annotations/a~1b"},
		{pointer: "spec/replicas", wantErr: "starting with /"},
		{pointer: "", wantErr: "starting with /"},
		{pointer: "/", wantErr: "whole object"},
		{pointer: "/kind", wantErr: "must not name"},
		{pointer: "/apiVersion", wantErr: "must not name"},
		{pointer: "/metadata", wantErr: "must not name"},
		{pointer: "/metadata/", wantErr: "must not name"},
		{pointer: "/metadata/name", wantErr: "must not name"},
		{pointer: "/metadata/namespace", wantErr: "must not name"},
		{pointer: "/spec/~2", wantErr: "~ must be followed"},
	}
	for _, test := range tests {
		t.Run(test.pointer, func(t *testing.T) {
			checkError(t, CheckJSONPointer(test.pointer), test.wantErr)
		})
	}
}

func TestCheckJQ(t *testing.T) {
	tests := []struct {
		name, expr, wantErr string
	}{
		{name: "a field path", expr: ".spec.replicas"},
		{name: "a selected list element", expr: `.spec.template.spec.containers[] | select(.name == "c") | .image`},
		{name: "a path that fails on the probe is left to the comparison", expr: ".status.conditions[] | .lastTransitionTime"},
		{name: "not jq", expr: ".spec[", wantErr: "must be a jq path expression"},
		{name: "closing del( to run a program", expr: `.a) | .kind = "ConfigMap" | del(.b`, wantErr: "must be a jq path expression"},
		{name: "a definition", expr: "def f: .kind; f", wantErr: "without definitions"},
		{name: "removing the kind", expr: ".kind", wantErr: "must not remove or change"},
		{name: "removing the name by recursion", expr: `.. | .name? // empty`, wantErr: "must not remove or change"},
		{name: "removing all of metadata", expr: ".metadata", wantErr: "must not remove or change"},
		{name: "not a path", expr: `{"kind": "ConfigMap"}`, wantErr: "must be a jq path expression"},
		{name: "a path that does not end in time", expr: strings.Repeat("(.,.) | ", 40) + ".spec", wantErr: "finishes within"},
		// Argo CD's documented shapes.
		{name: "an injected init container", expr: `.spec.template.spec.initContainers[] | select(.name == "injected-init-container")`},
		{name: "containers by prefix", expr: `.spec.template.spec.containers[] | select(.name | startswith("istio")) | .image`},
		{name: "optional iteration", expr: `.webhooks[]?.clientConfig.caBundle`},
		{name: "a variable", expr: `.spec.template.spec.containers[] as $c | .spec.template.spec.containers[] | select(.name == $c.name) | .env`},
		{name: "entries are values, not paths of the object", expr: `.metadata.labels | to_entries[] | select(.key | test("^team-")) | if .value == "" then .value else empty end`, wantErr: "must be a jq path expression"},
		// What builds memory faster than a timeout stops it.
		{name: "string repetition", expr: `2000000000 * "2"`, wantErr: "the operator *"},
		{name: "string doubling", expr: `reduce range(40) as $i ("x"; . + .)`, wantErr: "reduce"},
		{name: "a generator", expr: `[range(1000000000)]`, wantErr: "the function range/1"},
		{name: "a repetition", expr: `repeat(.spec)`, wantErr: "the function repeat/1"},
		{name: "chained replacement", expr: `.metadata.name | gsub(""; "xx") | gsub(""; "xx")`, wantErr: "the function gsub/2"},
		{name: "chained escaping", expr: `.metadata.name | tojson | tojson`, wantErr: "the function tojson/0"},
		{name: "string interpolation", expr: `.metadata.labels["\(.)\(.)"]`, wantErr: "string interpolation"},
		{name: "a format", expr: `.metadata.name | @html`, wantErr: "the format @html"},
		{name: "an assignment", expr: `.spec[1000000000] = 1`, wantErr: "the operator ="},
		{name: "an update", expr: `.spec.replicas |= . + 1`, wantErr: "the operator |="},
		{name: "foreach", expr: `foreach .spec[] as $x (0; 1)`, wantErr: "foreach"},
		{name: "a denied function in an argument", expr: `.spec.template.spec.containers[] | select(.name == ("a" | ascii * 2))`, wantErr: "is not allowed"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			checkError(t, CheckJQ(test.expr), test.wantErr)
		})
	}
}

func TestCompiledExpressionsSeeNoEnvironment(t *testing.T) {
	t.Setenv("CAPSTAN_TEST_SECRET", "hunter2")
	code, err := CompileJQ(`.[$ENV.CAPSTAN_TEST_SECRET // "absent"]`)
	if err != nil {
		t.Fatal(err)
	}
	value, _ := code.Run(map[string]any{"hunter2": 1, "absent": 2}).Next()
	result, ok := value.(map[string]any)
	if !ok {
		t.Fatalf("del returned %v", value)
	}
	if _, kept := result["hunter2"]; !kept {
		t.Errorf("the expression read the server's environment: %v", result)
	}
}

func checkError(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("refused: %v", err)
	case want != "" && err == nil:
		t.Fatalf("accepted, want an error saying %q", want)
	case err != nil && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q, want one saying %q", err, want)
	}
}

// FuzzCheckJQ feeds arbitrary expressions to the checker: it must never panic,
// and an accepted expression must never change an object's identity when it
// is applied the way a comparison applies it.
func FuzzCheckJQ(f *testing.F) {
	for _, seed := range []string{".spec.replicas", ".kind", ".metadata", `.a) | .kind = "x" | del(.b`, "..", ".[]", `.metadata.labels["a"]`,
		"def f: .; f", `.data | to_entries`, `.spec.template.spec.containers[] | select(.name == "c") | .image`, "$ENV", "input", "limit(1; repeat(.))"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		if CheckJQ(expr) != nil {
			return
		}
		code, err := CompileJQ(expr)
		if err != nil {
			t.Fatalf("CheckJQ accepted %q but CompileJQ refuses it: %v", expr, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
		defer cancel()
		value, ok := code.RunWithContext(ctx, probe()).Next()
		if !ok {
			return
		}
		if result, isObject := value.(map[string]any); isObject && Identity(result) != Identity(probe()) {
			t.Fatalf("accepted %q changes the identity: %v", expr, result)
		}
	})
}

// FuzzCheckJSONPointer: never panics; accepted pointers never name identity fields.
func FuzzCheckJSONPointer(f *testing.F) {
	for _, seed := range []string{"/spec/replicas", "/kind", "/metadata/name", "/", "", "/a~1b", "/~", "/metadata//"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, pointer string) {
		if CheckJSONPointer(pointer) != nil {
			return
		}
		tokens := Tokens(pointer)
		if len(tokens) == 1 && (tokens[0] == "kind" || tokens[0] == "apiVersion" || tokens[0] == "metadata") ||
			len(tokens) == 2 && tokens[0] == "metadata" && (tokens[1] == "name" || tokens[1] == "namespace") {
			t.Fatalf("accepted %q, which names an identity field", pointer)
		}
	})
}
