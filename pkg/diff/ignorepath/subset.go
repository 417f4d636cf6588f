package ignorepath

import (
	"fmt"

	"github.com/itchyny/gojq"
)

// A jq path expression runs in capstan-apiserver, on every comparison of the
// Application's objects and when the Application is validated, and jq has
// no memory bound: `"x" * 2000000000` builds a 2 GB string in one step,
// `reduce range(40) as $i ("x"; . + .)`, chained gsub or tojson calls grow a
// value exponentially, faster than any timeout stops them. One Application's
// author could so take the server down for every team. A path expression
// selects paths of what there is; the subset accepted here cannot build
// anything much larger than its input, and the check's and the comparison's
// timeouts bound the rest (generators collected into arrays).

// jqFunctions are the functions a path expression may call, by name and
// number of arguments: ones that select, navigate and test.
var jqFunctions = map[string][]int{
	"select": {1}, "empty": {0}, "error": {0, 1}, "not": {0},
	"path": {1}, "paths": {0, 1}, "leaf_paths": {0}, "getpath": {1}, "recurse": {0},
	"first": {0, 1}, "last": {0, 1}, "limit": {2}, "isempty": {1},
	"length": {0}, "utf8bytelength": {0}, "keys": {0}, "keys_unsorted": {0}, "has": {1}, "in": {1},
	"contains": {1}, "inside": {1}, "startswith": {1}, "endswith": {1}, "ltrimstr": {1}, "rtrimstr": {1},
	"test": {1, 2}, "match": {1, 2}, "capture": {1, 2}, "split": {1}, "ascii_downcase": {0}, "ascii_upcase": {0},
	"index": {1}, "rindex": {1}, "indices": {1},
	"any": {0, 1, 2}, "all": {0, 1, 2}, "map": {1}, "map_values": {1},
	"to_entries": {0}, "from_entries": {0}, "with_entries": {1},
	"type": {0}, "arrays": {0}, "objects": {0}, "iterables": {0}, "booleans": {0}, "numbers": {0},
	"strings": {0}, "nulls": {0}, "values": {0}, "scalars": {0},
	"tostring": {0}, "tonumber": {0},
}

// jqOperators are the binary operators a path expression may use: pipes,
// alternatives and comparisons, no arithmetic and no assignment.
var jqOperators = map[gojq.Operator]bool{
	gojq.OpPipe: true, gojq.OpComma: true, gojq.OpAlt: true, gojq.OpAnd: true, gojq.OpOr: true,
	gojq.OpEq: true, gojq.OpNe: true, gojq.OpGt: true, gojq.OpLt: true, gojq.OpGe: true, gojq.OpLe: true,
}

// subsetError says what of a jq expression is outside the accepted subset.
func subsetError(what string) error {
	return fmt.Errorf("must be a jq path expression: %s is not allowed (a path expression selects paths and tests values; arithmetic, assignments, reduce, foreach, string interpolation, formats and functions that build values are refused)", what)
}

// checkQuery returns why q is outside the accepted subset, or nil.
func checkQuery(q *gojq.Query) error {
	if q == nil {
		return nil
	}
	if len(q.FuncDefs) > 0 || len(q.Imports) > 0 || q.Meta != nil {
		return subsetError("a definition, import or module directive")
	}
	if q.Op != 0 && !jqOperators[q.Op] {
		return subsetError(fmt.Sprintf("the operator %s", q.Op))
	}
	for _, pattern := range q.Patterns {
		if err := checkPattern(pattern); err != nil {
			return err
		}
	}
	if err := checkTerm(q.Term); err != nil {
		return err
	}
	return checkQueries(q.Left, q.Right)
}

// checkQueries returns why the first of queries outside the accepted subset
// is, or nil.
func checkQueries(queries ...*gojq.Query) error {
	for _, q := range queries {
		if err := checkQuery(q); err != nil {
			return err
		}
	}
	return nil
}

func checkTerm(t *gojq.Term) error {
	if t == nil {
		return nil
	}
	switch t.Type {
	case gojq.TermTypeIdentity, gojq.TermTypeRecurse, gojq.TermTypeNull, gojq.TermTypeTrue, gojq.TermTypeFalse,
		gojq.TermTypeNumber, gojq.TermTypeIndex, gojq.TermTypeQuery, gojq.TermTypeIf, gojq.TermTypeTry,
		gojq.TermTypeObject, gojq.TermTypeArray, gojq.TermTypeString, gojq.TermTypeFunc, gojq.TermTypeUnary:
	case gojq.TermTypeFormat:
		return subsetError("the format " + t.Format)
	case gojq.TermTypeReduce:
		return subsetError("reduce")
	case gojq.TermTypeForeach:
		return subsetError("foreach")
	case gojq.TermTypeLabel, gojq.TermTypeBreak:
		return subsetError("label and break")
	default:
		return subsetError(fmt.Sprintf("the term %s", t))
	}
	if err := checkIndex(t.Index); err != nil {
		return err
	}
	if f := t.Func; f != nil {
		if err := checkFunc(f); err != nil {
			return err
		}
	}
	if o := t.Object; o != nil {
		for _, kv := range o.KeyVals {
			if err := checkString(kv.KeyString); err != nil {
				return err
			}
			if err := checkQueries(kv.KeyQuery, kv.Val); err != nil {
				return err
			}
		}
	}
	if a := t.Array; a != nil {
		if err := checkQuery(a.Query); err != nil {
			return err
		}
	}
	if u := t.Unary; u != nil {
		if err := checkTerm(u.Term); err != nil {
			return err
		}
	}
	if err := checkString(t.Str); err != nil {
		return err
	}
	if i := t.If; i != nil {
		if err := checkQueries(i.Cond, i.Then, i.Else); err != nil {
			return err
		}
		for _, elif := range i.Elif {
			if err := checkQueries(elif.Cond, elif.Then); err != nil {
				return err
			}
		}
	}
	if try := t.Try; try != nil {
		if err := checkQueries(try.Body, try.Catch); err != nil {
			return err
		}
	}
	if err := checkQuery(t.Query); err != nil {
		return err
	}
	for _, suffix := range t.SuffixList {
		if err := checkIndex(suffix.Index); err != nil {
			return err
		}
	}
	return nil
}

func checkFunc(f *gojq.Func) error {
	if len(f.Name) > 0 && f.Name[0] == '$' {
		// A variable bound with `as` (or $ENV, which is empty here).
		return nil
	}
	arities, ok := jqFunctions[f.Name]
	if !ok {
		return subsetError(fmt.Sprintf("the function %s/%d", f.Name, len(f.Args)))
	}
	allowed := false
	for _, arity := range arities {
		allowed = allowed || arity == len(f.Args)
	}
	if !allowed {
		return subsetError(fmt.Sprintf("the function %s/%d", f.Name, len(f.Args)))
	}
	return checkQueries(f.Args...)
}

func checkIndex(i *gojq.Index) error {
	if i == nil {
		return nil
	}
	if err := checkString(i.Str); err != nil {
		return err
	}
	return checkQueries(i.Start, i.End)
}

func checkString(s *gojq.String) error {
	if s != nil && len(s.Queries) > 0 {
		return subsetError("string interpolation")
	}
	return nil
}

func checkPattern(p *gojq.Pattern) error {
	if p == nil {
		return nil
	}
	for _, element := range p.Array {
		if err := checkPattern(element); err != nil {
			return err
		}
	}
	for _, field := range p.Object {
		if err := checkString(field.KeyString); err != nil {
			return err
		}
		if err := checkQuery(field.KeyQuery); err != nil {
			return err
		}
		if err := checkPattern(field.Val); err != nil {
			return err
		}
	}
	return nil
}
