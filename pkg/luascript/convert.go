package luascript

import (
	"errors"
	"fmt"
	"math"
	"sort"

	lua "github.com/yuin/gopher-lua"
)

// maxDepth bounds the nesting of values crossing between Go and Lua.
const maxDepth = 64

var errTooLarge = errors.New("larger than the limit")

// toLua converts a JSON-like Go value (maps, slices, strings, numbers,
// booleans) into Lua values.
func toLua(L *lua.LState, value any, depth int) (lua.LValue, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxDepth)
	}
	switch v := value.(type) {
	case nil:
		return lua.LNil, nil
	case bool:
		return lua.LBool(v), nil
	case string:
		return lua.LString(v), nil
	case int64:
		return lua.LNumber(v), nil
	case int:
		return lua.LNumber(v), nil
	case int32:
		return lua.LNumber(v), nil
	case float64:
		return lua.LNumber(v), nil
	case map[string]any:
		table := L.CreateTable(0, len(v))
		for key, item := range v {
			converted, err := toLua(L, item, depth+1)
			if err != nil {
				return nil, err
			}
			table.RawSetString(key, converted)
		}
		return table, nil
	case map[string]string:
		table := L.CreateTable(0, len(v))
		for key, item := range v {
			table.RawSetString(key, lua.LString(item))
		}
		return table, nil
	case []any:
		table := L.CreateTable(len(v), 0)
		for _, item := range v {
			converted, err := toLua(L, item, depth+1)
			if err != nil {
				return nil, err
			}
			table.Append(converted)
		}
		return table, nil
	}
	return nil, fmt.Errorf("cannot convert %T to Lua", value)
}

// fromLua converts a Lua value back to JSON-like Go values. A table whose
// keys are 1..n is a list; an empty table is a list where shape (the value
// the script was given at the same place) is one, else an object. budget
// bounds the total size of the strings and keys.
func fromLua(value lua.LValue, shape any, depth int, budget *int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxDepth)
	}
	switch v := value.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(v), nil
	case lua.LString:
		if *budget -= len(v); *budget < 0 {
			return nil, errTooLarge
		}
		return string(v), nil
	case lua.LNumber:
		f := float64(v)
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		return f, nil
	case *lua.LTable:
		return tableFromLua(v, shape, depth, budget)
	}
	return nil, fmt.Errorf("cannot convert a Lua %s", value.Type())
}

func tableFromLua(table *lua.LTable, shape any, depth int, budget *int) (any, error) {
	n := table.Len()
	count := 0
	table.ForEach(func(lua.LValue, lua.LValue) { count++ })
	if count == 0 {
		if _, isList := shape.([]any); isList {
			return []any{}, nil
		}
		return map[string]any{}, nil
	}
	if n > 0 && n == count {
		shapeList, _ := shape.([]any)
		out := make([]any, 0, n)
		for i := 1; i <= n; i++ {
			var itemShape any
			if i-1 < len(shapeList) {
				itemShape = shapeList[i-1]
			}
			item, err := fromLua(table.RawGetInt(i), itemShape, depth+1, budget)
			if err != nil {
				return nil, err
			}
			out = append(out, item)
		}
		return out, nil
	}
	shapeMap, _ := shape.(map[string]any)
	out := make(map[string]any, count)
	var keyErr error
	keys := make([]string, 0, count)
	table.ForEach(func(key, _ lua.LValue) {
		name, ok := key.(lua.LString)
		if !ok {
			keyErr = fmt.Errorf("a table has a %s key; objects have string keys", key.Type())
			return
		}
		keys = append(keys, string(name))
	})
	if keyErr != nil {
		return nil, keyErr
	}
	sort.Strings(keys)
	for _, key := range keys {
		if *budget -= len(key); *budget < 0 {
			return nil, errTooLarge
		}
		item, err := fromLua(table.RawGetString(key), shapeMap[key], depth+1, budget)
		if err != nil {
			return nil, err
		}
		out[key] = item
	}
	return out, nil
}
