package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kubeyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// errNoKind replaces apimachinery's missing-kind error, which quotes the
// whole document: that could be megabytes, and a secret, in a status message.
var errNoKind = errors.New("the object has no kind")

// splitYAML decodes a stream of YAML (or JSON) documents into objects, skipping
// empty documents, the way Argo CD reads helm template and kustomize build
// output. Every object returned has a kind.
func splitYAML(data []byte, name string) ([]*unstructured.Unstructured, error) {
	if err := checkAliasExpansion(data, name); err != nil {
		return nil, err
	}
	objs, err := decodeDocuments(data)
	if err != nil {
		return objs, fmt.Errorf("%s: %w", name, err)
	}
	return objs, nil
}

// decodeBufferSize is how much of a stream the decoder looks at to tell
// JSON from YAML.
const decodeBufferSize = 4096

// decodeDocuments decodes every document of a YAML (or JSON) stream into an
// object, skipping empty ones, and returns those decoded before the first
// error with it. Every object returned has a kind. Alias expansion is bounded
// by the YAML library only: callers check it first.
func decodeDocuments(data []byte) ([]*unstructured.Unstructured, error) {
	// A stream the decoder reads as YAML from its start (one that does not
	// open with "{") stays YAML: each document comes out as JSON written by
	// encoding/json from YAML's values, which a second YAML parse gives back
	// unchanged, so it is decoded as JSON at once. A stream that opens as
	// JSON may hold numbers only YAML keeps (1e400 as a string), and takes
	// the second parse.
	yamlStream := !mayBeJSON(data)
	decoder := kubeyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), decodeBufferSize)
	var objs []*unstructured.Unstructured
	for document := 1; ; document++ {
		// The decoder turns each YAML document into JSON.
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
		// Parsing the JSON as YAML again is what Argo CD's kube.SplitYAML
		// does; numbers too large for JSON's float64 survive it as strings.
		obj := &unstructured.Unstructured{}
		if yamlStream {
			if err := obj.UnmarshalJSON(raw); err == nil {
				objs = append(objs, obj)
				continue
			}
			// The error as the YAML parse words it.
			obj = &unstructured.Unstructured{}
		}
		if err := yaml.Unmarshal(raw, obj); err != nil {
			return objs, fmt.Errorf("failed to unmarshal manifest (document %d): %w", document, decodeError(err))
		}
		objs = append(objs, obj)
	}
}

// mayBeJSON tells whether kubeyaml's decoder starts data as JSON: when the
// first byte after white space in its first buffer is "{".
func mayBeJSON(data []byte) bool {
	return kubeyaml.IsJSONBuffer(data[:min(len(data), decodeBufferSize)])
}

// decodeError is err without apimachinery's missing-kind error, which quotes
// the document.
func decodeError(err error) error {
	for cause := err; cause != nil; cause = errors.Unwrap(cause) {
		if runtime.IsMissingKind(cause) {
			return errNoKind
		}
	}
	return err
}

// expandLists replaces every object with an items list (kind List, or any
// *List) by its items and drops lists whose items are null, as Argo CD's
// GenerateManifests does for every tool. Items must have a kind, like every
// other object.
func expandLists(objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, obj := range objs {
		switch {
		case obj == nil:
		case obj.IsList():
			index := 0
			err := obj.EachListItem(func(item runtime.Object) error {
				index++
				u, ok := item.(*unstructured.Unstructured)
				if !ok {
					return errors.New("resource list item has unexpected type")
				}
				if u.GetKind() == "" {
					return fmt.Errorf("item %d: %w", index, errNoKind)
				}
				out = append(out, u)
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("expand %s %s: %w", obj.GetKind(), obj.GetName(), err)
			}
		case isNullList(obj):
		default:
			out = append(out, obj)
		}
	}
	return out, nil
}

// isNullList reports an object like `kind: ConfigMapList` with `items: null`.
func isNullList(obj *unstructured.Unstructured) bool {
	if _, ok := obj.Object["spec"]; ok {
		return false
	}
	if _, ok := obj.Object["status"]; ok {
		return false
	}
	items, ok := obj.Object["items"]
	return ok && items == nil
}
