package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kubeyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// checkOutputSize refuses output larger than MaxManifestBytes.
func (r *Renderer) checkOutputSize(n int64, what string) error {
	if n > r.opts.MaxManifestBytes {
		return fmt.Errorf("%w: %s is %d bytes, more than the limit of %d", ErrTooLarge, what, n, r.opts.MaxManifestBytes)
	}
	return nil
}

// maxAliasExpansion bounds how many YAML nodes alias expansion may add on top
// of the nodes written in a document; a "billion laughs" document needs
// exponentially many.
const maxAliasExpansion = 1_000_000

// checkAliasExpansion refuses YAML whose aliases would expand to far more
// nodes than it contains. The YAML libraries have their own alias ratio
// limits; this check refuses earlier and with a clear message, and costs
// nothing for documents without both anchors and aliases.
func checkAliasExpansion(data []byte, name string) error {
	if !bytes.Contains(data, []byte("&")) || !bytes.Contains(data, []byte("*")) {
		return nil
	}
	decoder := yamlv3.NewDecoder(bytes.NewReader(data))
	for {
		var doc yamlv3.Node
		err := decoder.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			// Syntax errors are reported, with line numbers, by the real parse.
			return nil
		}
		written, expanded := countNodes(&doc, map[*yamlv3.Node]int64{})
		if expanded-written > maxAliasExpansion {
			return fmt.Errorf("%s: YAML aliases expand %d nodes to more than %d: refusing a possible alias bomb", name, written, written+maxAliasExpansion)
		}
	}
}

// countNodes returns the number of nodes written under n and the number after
// expanding aliases, saturating instead of overflowing.
func countNodes(n *yamlv3.Node, memo map[*yamlv3.Node]int64) (written, expanded int64) {
	const ceiling = int64(1) << 50
	if n.Kind == yamlv3.AliasNode {
		if n.Alias == nil {
			return 1, 1
		}
		return 1, expandedSize(n.Alias, memo, ceiling)
	}
	written, expanded = 1, 1
	for _, child := range n.Content {
		w, e := countNodes(child, memo)
		written += w
		expanded = min(expanded+e, ceiling)
	}
	return written, expanded
}

// expandedSize is the number of nodes n stands for once aliases are expanded.
func expandedSize(n *yamlv3.Node, memo map[*yamlv3.Node]int64, ceiling int64) int64 {
	if size, ok := memo[n]; ok {
		return size
	}
	memo[n] = ceiling // an alias cycle counts as infinite
	size := int64(1)
	if n.Kind == yamlv3.AliasNode && n.Alias != nil {
		size = expandedSize(n.Alias, memo, ceiling)
	}
	for _, child := range n.Content {
		size = min(size+expandedSize(child, memo, ceiling), ceiling)
	}
	memo[n] = size
	return size
}

// splitYAML decodes a stream of YAML (or JSON) documents into objects, skipping
// empty documents, the way Argo CD reads helm template and kustomize build
// output.
func splitYAML(data []byte, name string) ([]*unstructured.Unstructured, error) {
	if err := checkAliasExpansion(data, name); err != nil {
		return nil, err
	}
	decoder := kubeyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var ext runtime.RawExtension
		if err := decoder.Decode(&ext); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return objs, fmt.Errorf("%s: failed to unmarshal manifest: %w", name, err)
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(raw, obj); err != nil {
			return objs, fmt.Errorf("%s: failed to unmarshal manifest: %w", name, err)
		}
		objs = append(objs, obj)
	}
}

// expandLists replaces every object with an items list (kind List, or any
// *List) by its items and drops lists whose items are null, as Argo CD's
// GenerateManifests does for every tool.
func expandLists(objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, obj := range objs {
		switch {
		case obj == nil:
		case obj.IsList():
			err := obj.EachListItem(func(item runtime.Object) error {
				u, ok := item.(*unstructured.Unstructured)
				if !ok {
					return errors.New("resource list item has unexpected type")
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
