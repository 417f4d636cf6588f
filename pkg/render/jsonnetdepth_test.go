package render

import (
	"strings"
	"testing"
)

func TestCheckJsonnetNesting(t *testing.T) {
	tests := []struct {
		name   string
		source string
		refuse bool
	}{
		{name: "ordinary nesting passes", source: `{ a: [ { b: (1 + 2) } ] }`},
		{name: "nesting at the limit passes", source: strings.Repeat("[", 1000) + strings.Repeat("]", 1000)},
		{name: "nesting past the limit is refused", source: strings.Repeat("[", 1001) + strings.Repeat("]", 1001), refuse: true},
		{name: "brackets in strings do not count", source: `"` + strings.Repeat("[", 2000) + `"`},
		{name: "brackets in single-quoted strings with escapes do not count", source: `'\'` + strings.Repeat("{", 2000) + `'`},
		{name: "brackets in comments do not count", source: "// " + strings.Repeat("(", 2000) + "\n# " + strings.Repeat("(", 2000) + "\n/* " + strings.Repeat("(", 2000) + " */ 1"},
		{name: "brackets in text blocks do not count", source: "|||\n  " + strings.Repeat("{", 2000) + "\n|||"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			err := checkJsonnetNesting("test.jsonnet", []byte(test.source))
			if (err != nil) != test.refuse {
				t.Errorf("checkJsonnetNesting = %v, want refused %t", err, test.refuse)
			}
		})
	}
}
