package render

import (
	"bytes"
	"fmt"
)

// maxJsonnetNesting bounds how deeply brackets may nest in a Jsonnet file.
// go-jsonnet parses nesting by recursion, and a Go stack overflow is fatal to
// the whole server, not an error: a file of a few hundred kilobytes of
// brackets would kill capstan-apiserver. Real files nest a few dozen levels.
const maxJsonnetNesting = 1000

// checkJsonnetNesting refuses Jsonnet source whose brackets ((, [, {) nest
// deeper than maxJsonnetNesting. Strings, text blocks and comments are
// skipped, so brackets inside them do not count.
func checkJsonnetNesting(name string, source []byte) error {
	depth, deepest := 0, 0
	for i := 0; i < len(source); i++ {
		switch c := source[i]; c {
		case '(', '[', '{':
			depth++
			if depth > deepest {
				deepest = depth
			}
			if deepest > maxJsonnetNesting {
				return fmt.Errorf("jsonnet %q: brackets nest deeper than %d levels", name, maxJsonnetNesting)
			}
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		case '"', '\'':
			i = skipQuoted(source, i, c)
		case '#':
			i = skipLine(source, i)
		case '/':
			if i+1 < len(source) && source[i+1] == '/' {
				i = skipLine(source, i)
			} else if i+1 < len(source) && source[i+1] == '*' {
				end := bytes.Index(source[i+2:], []byte("*/"))
				if end < 0 {
					return nil
				}
				i += 2 + end + 1
			}
		case '|':
			if bytes.HasPrefix(source[i:], []byte("|||")) {
				end := bytes.Index(source[i+3:], []byte("|||"))
				if end < 0 {
					return nil
				}
				i += 3 + end + 2
			}
		}
	}
	return nil
}

// skipQuoted returns the index of the quote closing the string that opens at
// start (a backslash escapes the next byte; verbatim @-strings double quotes,
// which this reads as two strings, to the same effect).
func skipQuoted(source []byte, start int, quote byte) int {
	for i := start + 1; i < len(source); i++ {
		switch source[i] {
		case '\\':
			i++
		case quote:
			return i
		}
	}
	return len(source)
}

func skipLine(source []byte, start int) int {
	if end := bytes.IndexByte(source[start:], '\n'); end >= 0 {
		return start + end
	}
	return len(source)
}
