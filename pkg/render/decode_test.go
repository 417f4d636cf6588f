package render

import (
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestDecodersRefuseObjectsWithoutKind(t *testing.T) {
	const secret = "s3cr3t-value-that-must-not-be-quoted"
	kindless := "apiVersion: v1\nmetadata:\n  name: x\ndata:\n  password: " + secret + "\n"
	decoders := map[string]func([]byte) ([]*unstructured.Unstructured, error){
		"tool output": func(data []byte) ([]*unstructured.Unstructured, error) {
			objs, err := splitYAML(data, "helm template output")
			if err != nil {
				return nil, err
			}
			return expandLists(objs)
		},
		"a directory's YAML file": func(data []byte) ([]*unstructured.Unstructured, error) {
			return readManifestFile(context.Background(), manifestFile{path: "apps/x.yaml", data: data})
		},
		"Jsonnet output": func(data []byte) ([]*unstructured.Unstructured, error) {
			return decodeJSONOutput(data, "apps/x.jsonnet")
		},
	}
	tests := []struct {
		name     string
		decoder  string
		data     string
		wantText string
	}{
		{name: "a document without kind fails without being quoted", decoder: "tool output",
			data: configMap("a") + "---\n" + kindless, wantText: "document 2"},
		{name: "a List item without kind fails naming the item", decoder: "tool output",
			data: "apiVersion: v1\nkind: List\nmetadata:\n  name: l\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n" +
				"- metadata:\n    name: b\n  data:\n    password: " + secret + "\n", wantText: "item 2"},
		{name: "a manifest file document without kind fails without being quoted", decoder: "a directory's YAML file",
			data: "kind: ConfigMap\n" + kindless[len("apiVersion: v1\n"):] + "---\n" + kindless, wantText: "document 2"},
		{name: "an element without kind in a Jsonnet array fails without being quoted", decoder: "Jsonnet output",
			data: `[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}},{"metadata":{"name":"b"},"data":{"password":"` + secret + `"}}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decoders[tt.decoder]([]byte(tt.data))
			if !errors.Is(err, errNoKind) {
				t.Fatalf("%s returned %v, want an error saying the object has no kind", tt.decoder, err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q quotes the document", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
		})
	}
}
