package render

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// maxDecodeErrorBytes bounds the message of a decoding error: it ends up in
// an Application's status, and must not echo the document it failed on.
const maxDecodeErrorBytes = 1024

// decodeSeeds are the seed corpus of FuzzDecodeManifests, next to the
// regressions under testdata/fuzz/FuzzDecodeManifests.
var decodeSeeds = []string{
	configMap("a"),
	configMap("a") + "---\n" + configMap("b") + "---\n\n---\n# only a comment\n" + configMap("c"),
	"---\n---\n",
	`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"json"}}`,
	`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"one"}}{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"two"}}`,
	`[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}},null,{"apiVersion":"v1","kind":"Secret","metadata":{"name":"b"}}]`,
	"apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSpace(configMap("item")), "\n", "\n  ") + "\n",
	"apiVersion: v1\nkind: List\nitems:\n- metadata:\n    name: no-kind\n",
	"apiVersion: v1\nkind: ConfigMapList\nitems: null\n",
	"apiVersion: v1\nkind: List\nitems: [null]\n",
	"apiVersion: v1\nkind: List\nitems: not-a-list\n",
	"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - " + strings.ReplaceAll(strings.TrimSpace(configMap("nested")), "\n", "\n    ") + "\n",
	"metadata:\n  name: no-kind\n",
	"metadata:\n  name: no-kind\ndata:\n  long: " + strings.Repeat("x", 4000) + "\n",
	`[{"metadata":{"name":"no-kind"},"data":{"long":"` + strings.Repeat("x", 4000) + `"}}]`,
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deeper\ndata:\n  x: " + strings.Repeat("[", 12000) + strings.Repeat("]", 12000) + "\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deeper-block\ndata:\n" + deepBlockYAML(3000),
	"kind: ConfigMap\nmetadata:\n  name: no-api-version\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n",
	`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + "}",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \xff\xfe\xfd\n",
	"apiVersion: v1\nkind: \"\\udc00\"\nmetadata:\n  name: surrogate\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\nspec:\n  replicas: 1" + strings.Repeat("0", 400) + "\n  f: 1e999999\n  g: -0x" + strings.Repeat("f", 100) + "\n",
	`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n"},"spec":{"big":1` + strings.Repeat("0", 400) + `,"f":1e999999}}`,
	"apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: anchored\ndata: *m\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: merge\n  labels: &l {a: b}\n  annotations:\n    <<: *l\n",
	"a: &a [*a]\n",
	billionLaughs,
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: duplicate\n",
	"\xef\xbb\xbf" + configMap("bom"),
	"- just\n- a\n- list\n",
	"42\n",
	"!!binary aGVsbG8=\n",
	"? [complex, key]\n: value\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tab\n\tdata: x\n",
}

// deepBlockYAML is a block mapping nested depth levels deep.
func deepBlockYAML(depth int) string {
	var b strings.Builder
	for i := range depth {
		b.WriteString(strings.Repeat(" ", i+2) + "k:\n")
	}
	return b.String()
}

// FuzzDecodeManifests feeds arbitrary bytes to every decoder of rendered or
// committed manifests: tool output (splitYAML, then expandLists as every
// render does), directory YAML and JSON files, and Jsonnet output. None may
// panic; each returns objects with a kind or an error of bounded size; and
// what it returns is bounded by the input plus the alias expansion allowed.
func FuzzDecodeManifests(f *testing.F) {
	for _, seed := range decodeSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := splitYAML(data, "fuzz")
		if err == nil {
			objs, err = expandLists(objs)
		}
		checkDecoded(t, "splitYAML", data, objs, err)

		for _, name := range []string{"fuzz.yaml", "fuzz.json"} {
			objs, err := readManifestFile(context.Background(), manifestFile{path: name, data: data})
			if err == nil {
				objs, err = expandLists(objs)
			}
			checkDecoded(t, name, data, objs, err)
		}

		objs, err = decodeJSONOutput(data, "fuzz.jsonnet")
		if err == nil {
			objs, err = expandLists(objs)
		}
		checkDecoded(t, "jsonnet output", data, objs, err)
	})
}

// checkDecoded checks the invariants of a decoder's result for input data.
func checkDecoded(t *testing.T, decoder string, data []byte, objs []*unstructured.Unstructured, err error) {
	t.Helper()
	if err != nil {
		if n := len(err.Error()); n > maxDecodeErrorBytes {
			t.Errorf("%s: error of %d bytes: %.200s…", decoder, n, err)
		}
		return
	}
	nodes := 0
	for i, obj := range objs {
		if obj == nil {
			t.Fatalf("%s: object %d is nil", decoder, i)
		}
		if obj.GetKind() == "" {
			t.Errorf("%s: object %d has no kind: %v", decoder, i, obj.Object)
		}
		nodes += countValueNodes(obj.Object)
	}
	if limit := 2*len(data) + 2*maxAliasExpansion; nodes > limit {
		t.Errorf("%s: %d bytes decoded to %d nodes, more than %d", decoder, len(data), nodes, limit)
	}
}

// countValueNodes counts the maps, lists and scalars of a decoded value.
func countValueNodes(value any) int {
	switch v := value.(type) {
	case map[string]any:
		n := 1
		for _, child := range v {
			n += 1 + countValueNodes(child)
		}
		return n
	case []any:
		n := 1
		for _, child := range v {
			n += countValueNodes(child)
		}
		return n
	}
	return 1
}
