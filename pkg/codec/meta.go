// Package codec decodes JSON without reading each document twice: the
// apiVersion and kind that pick the type to decode into are found by looking
// only at the document's top level (MetaFactory), where apimachinery's
// serializer decodes the whole document with encoding/json first and then
// again into the object (a third of capstan-apiserver's JSON decoding in a
// cold sync: request bodies, the etcd watch, informers' watches, write
// responses).
package codec

import (
	"bytes"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
)

// MetaFactory finds the apiVersion and kind of a JSON document as
// json.DefaultMetaFactory does: the top-level members named apiVersion and
// kind in any case, the last one of each winning, null leaving it unset. It
// skips the other members' values without decoding them; a document it
// cannot read this way (not an object, escapes or non-ASCII characters in a
// key or in one of these two values, a value of another type, anything
// after the object) it leaves to json.DefaultMetaFactory, so that such a
// document gives the same answer or the same error as there. What it does
// not check is the syntax inside the values it skips: a document invalid
// only there is refused by the decoding that follows instead, with its
// message.
var MetaFactory json.MetaFactory = metaFactory{}

type metaFactory struct{}

func (metaFactory) Interpret(data []byte) (*schema.GroupVersionKind, error) {
	apiVersion, kind, ok := topLevelKind(data)
	if !ok {
		return json.DefaultMetaFactory.Interpret(data)
	}
	gv, err := schema.ParseGroupVersion(string(apiVersion))
	if err != nil {
		return nil, err
	}
	return &schema.GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: string(kind)}, nil
}

// topLevelKind returns the values of the top-level apiVersion and kind of
// data, a JSON object; ok is false when data is not one it reads (see
// MetaFactory).
func topLevelKind(data []byte) (apiVersion, kind []byte, ok bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, nil, false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil, nil, end(data, i+1)
	}
	for {
		// A member's name.
		if i >= len(data) || data[i] != '"' {
			return nil, nil, false
		}
		start := i + 1
		i = start
		for i < len(data) && data[i] != '"' {
			if c := data[i]; c == '\\' || c < 0x20 || c >= 0x80 {
				return nil, nil, false
			}
			i++
		}
		if i >= len(data) {
			return nil, nil, false
		}
		name := data[start:i]
		i = skipSpace(data, i+1)
		if i >= len(data) || data[i] != ':' {
			return nil, nil, false
		}
		i = skipSpace(data, i+1)
		// Its value.
		isVersion, isKind := bytes.EqualFold(name, []byte("apiVersion")), bytes.EqualFold(name, []byte("kind"))
		if isVersion || isKind {
			value, next, ok := plainString(data, i)
			if !ok {
				return nil, nil, false
			}
			if value != nil {
				if isVersion {
					apiVersion = value
				} else {
					kind = value
				}
			}
			i = next
		} else {
			next, ok := skipValue(data, i)
			if !ok {
				return nil, nil, false
			}
			i = next
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return nil, nil, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return apiVersion, kind, end(data, i+1)
		default:
			return nil, nil, false
		}
	}
}

// plainString reads the value at data[i]: a string without escapes and of
// printable ASCII only (its contents), or null (nil); ok is false for
// anything else.
func plainString(data []byte, i int) (value []byte, next int, ok bool) {
	if bytes.HasPrefix(data[i:], []byte("null")) {
		return nil, i + 4, true
	}
	if i >= len(data) || data[i] != '"' {
		return nil, i, false
	}
	start := i + 1
	for i = start; i < len(data) && data[i] != '"'; i++ {
		if c := data[i]; c == '\\' || c < 0x20 || c >= 0x80 {
			return nil, i, false
		}
	}
	if i >= len(data) {
		return nil, i, false
	}
	return data[start:i:i], i + 1, true
}

// skipValue returns the index after the value that starts at data[i]:
// strings to their closing quote, objects and arrays to the bracket that
// closes them; other values (numbers, true, false, null) to the next
// delimiter. ok is false when the value is cut short.
func skipValue(data []byte, i int) (next int, ok bool) {
	if i >= len(data) {
		return i, false
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				next, ok := skipString(data, i)
				if !ok {
					return next, false
				}
				i = next
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return i, false
	case '}', ']', ',', ':':
		return i, false
	default:
		for i < len(data) {
			switch data[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i, true
			}
			i++
		}
		return i, true
	}
}

// skipString returns the index after the string that starts at data[i].
func skipString(data []byte, i int) (next int, ok bool) {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return i, false
}

// skipSpace returns the index of the first byte from i on that is not JSON
// white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// end tells whether only white space follows data[i:].
func end(data []byte, i int) bool {
	return skipSpace(data, i) == len(data)
}
