package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kubeyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
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
	// Scalars whose JSON a second YAML parse could read otherwise.
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scalars\ndata:\n  a: yes\n  b: on\n  c: 1.0\n  d: 1e21\n  e: -0\n  f: 0x1F\n  g: 18446744073709551615\n" +
		"  h: 123456789012345678901234567890\n  i: 1e-7\n  j: ~\n  k: \"\\u2028<&>\\\"\"\n  l: 2001-12-14t21:59:43.10-05:00\n  m: .5\n  n: +12\n  o: 0o17\n  p: 017\n  q: 1_000\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keys\ndata:\n  1: a\n  true: b\n  1.5: c\n  \"\": e\n",
	"# leading comment\n" + `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"json-after-comment"},"data":{"f":1e400}}`,
	"  \n" + `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"json"},"data":{"f":1e400,"g":-0,"h":1.0}}` + "\n---\nkind: Secret\n",
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

		checkDecodedOnce(t, data)

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

// checkDecodedOnce checks that decodeDocuments, which parses a YAML stream's
// documents once, returns what parsing each document's JSON as YAML again
// (decodeDocumentsTwice, as Argo CD's kube.SplitYAML does) returns: the same
// objects, or the same error.
func checkDecodedOnce(t *testing.T, data []byte) {
	t.Helper()
	if checkAliasExpansion(data, "fuzz") != nil {
		return
	}
	once, onceErr := decodeDocuments(data)
	twice, twiceErr := decodeDocumentsTwice(data)
	if fmt.Sprint(onceErr) != fmt.Sprint(twiceErr) {
		t.Fatalf("decodeDocuments: error %v, parsing twice: %v", onceErr, twiceErr)
	}
	if len(once) != len(twice) {
		t.Fatalf("decodeDocuments: %d objects, parsing twice: %d", len(once), len(twice))
	}
	for i := range once {
		if !reflect.DeepEqual(once[i].Object, twice[i].Object) {
			t.Fatalf("object %d: decodeDocuments %#v, parsing twice %#v", i, once[i].Object, twice[i].Object)
		}
	}
}

// decodeDocumentsTwice is decodeDocuments with every document's JSON parsed
// as YAML again, as it was before YAML streams were parsed once.
func decodeDocumentsTwice(data []byte) ([]*unstructured.Unstructured, error) {
	decoder := kubeyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), decodeBufferSize)
	var objs []*unstructured.Unstructured
	for document := 1; ; document++ {
		var ext runtime.RawExtension
		if err := decoder.Decode(&ext); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return objs, fmt.Errorf("failed to unmarshal manifest (document %d): %w", document, err)
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(raw, obj); err != nil {
			return objs, fmt.Errorf("failed to unmarshal manifest (document %d): %w", document, decodeError(err))
		}
		objs = append(objs, obj)
	}
}

// A YAML stream's documents are parsed once; the objects are those of
// parsing each document's JSON as YAML again (Argo CD's kube.SplitYAML).
func TestYAMLDocumentsAreParsedOnceWithTheSameResult(t *testing.T) {
	for _, seed := range decodeSeeds {
		checkDecodedOnce(t, []byte(seed))
	}
}
