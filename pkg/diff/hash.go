package diff

import (
	"encoding/binary"
	"encoding/json"
	"hash"
	"math"
	"slices"
	"sync"
)

// valueHasher writes a JSON value (as unstructured holds it: maps, slices,
// strings, numbers, booleans, null) into a hash in a canonical form: each
// value tagged with its type, strings and collections prefixed with their
// length, map keys sorted. Two values hash alike only when they are equal,
// as their JSON encodings would be (a key nobody but this process reads:
// the form may change between versions), without encoding them first.
type valueHasher struct {
	h       hash.Hash
	buf     [9]byte
	scratch []byte
	// keys is reused by the maps of one value, a slice per nesting depth.
	keys [][]string
}

var hasherPool = sync.Pool{New: func() any { return &valueHasher{} }}

// hashValue writes v into h in valueHasher's canonical form.
func hashValue(h hash.Hash, v any) error {
	w := hasherPool.Get().(*valueHasher)
	w.h = h
	err := w.value(v, 0)
	w.h = nil
	hasherPool.Put(w)
	return err
}

func (w *valueHasher) tag(t byte, n uint64) {
	w.buf[0] = t
	binary.LittleEndian.PutUint64(w.buf[1:], n)
	w.h.Write(w.buf[:])
}

func (w *valueHasher) str(t byte, s string) {
	w.tag(t, uint64(len(s)))
	if sw, ok := w.h.(interface{ WriteString(string) (int, error) }); ok {
		_, _ = sw.WriteString(s)
		return
	}
	w.scratch = append(w.scratch[:0], s...)
	w.h.Write(w.scratch)
}

func (w *valueHasher) value(v any, depth int) error {
	switch v := v.(type) {
	case nil:
		w.tag('n', 0)
	case bool:
		if v {
			w.tag('b', 1)
		} else {
			w.tag('b', 0)
		}
	case string:
		w.str('s', v)
	case int64:
		w.tag('i', uint64(v))
	case int:
		w.tag('i', uint64(int64(v)))
	case int32:
		w.tag('i', uint64(int64(v)))
	case json.Number:
		if i, err := v.Int64(); err == nil {
			w.tag('i', uint64(i))
			return nil
		}
		if f, err := v.Float64(); err == nil {
			return w.value(f, depth)
		}
		return w.marshaled(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
			// JSON has one kind of number: 2.0 encodes as 2, like int64(2).
			w.tag('i', uint64(int64(v)))
			return nil
		}
		w.tag('f', math.Float64bits(v))
	case []any:
		w.tag('l', uint64(len(v)))
		for _, item := range v {
			if err := w.value(item, depth+1); err != nil {
				return err
			}
		}
	case map[string]any:
		w.tag('m', uint64(len(v)))
		for len(w.keys) <= depth {
			w.keys = append(w.keys, nil)
		}
		keys := w.keys[depth][:0]
		for key := range v {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		w.keys[depth] = keys
		for _, key := range keys {
			w.str('k', key)
			if err := w.value(v[key], depth+1); err != nil {
				return err
			}
		}
		// Deeper maps reused w.keys[depth+1:], never this one's keys.
		clear(w.keys[depth])
	default:
		return w.marshaled(v)
	}
	return nil
}

// marshaled writes anything else (typed values) as encoding/json encodes it.
func (w *valueHasher) marshaled(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.tag('j', uint64(len(data)))
	w.h.Write(data)
	return nil
}
