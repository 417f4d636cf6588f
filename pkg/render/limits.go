package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	yamlv3 "go.yaml.in/yaml/v3"
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
