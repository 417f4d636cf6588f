// Package luascript runs the Lua scripts of Argo CD's resource
// customizations — health checks and resource actions from argocd-cm — with
// Argo CD's script contract, in a sandbox: no io, no loading of files or
// modules, an os library with time and date only, a deadline per call and
// bounded call stack, registry and result sizes.
package luascript

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Limits bound one script call.
type Limits struct {
	// Timeout is the deadline of one call (Argo CD's is 1s).
	Timeout time.Duration
	// CallStackSize bounds the depth of Lua calls.
	CallStackSize int
	// RegistrySize and RegistryMaxSize bound the Lua value stack.
	RegistrySize, RegistryMaxSize int
	// MaxStringBytes bounds what string.rep may build and the size of a
	// script's result once converted.
	MaxStringBytes int
}

// DefaultLimits are Argo CD's timeout and bounds that fit any of its
// built-in scripts with room to spare.
var DefaultLimits = Limits{
	Timeout:         time.Second,
	CallStackSize:   200,
	RegistrySize:    1024 * 20,
	RegistryMaxSize: 1024 * 80,
	MaxStringBytes:  1 << 20,
}

// ErrTimeout is returned when a script runs past its deadline.
var ErrTimeout = errors.New("the Lua script did not finish in time")

// newState returns a sandboxed Lua state whose calls end with ctx.
func newState(ctx context.Context, limits Limits) *lua.LState {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       limits.CallStackSize,
		RegistrySize:        limits.RegistrySize,
		RegistryMaxSize:     limits.RegistryMaxSize,
		IncludeGoStackTrace: false,
	})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.OsLibName, lua.OpenOs},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	// Nothing that reads files or loads code from outside the script.
	for _, name := range []string{"dofile", "loadfile", "load", "loadstring", "require", "module", "collectgarbage"} {
		L.SetGlobal(name, lua.LNil)
	}
	// print goes nowhere: scripts written for Argo CD call it.
	L.SetGlobal("print", L.NewFunction(func(*lua.LState) int { return 0 }))
	// A safe os: the time and the date, as Argo CD's.
	full := L.GetGlobal(lua.OsLibName).(*lua.LTable)
	safe := L.NewTable()
	safe.RawSetString("time", full.RawGetString("time"))
	safe.RawSetString("date", full.RawGetString("date"))
	safe.RawSetString("clock", full.RawGetString("clock"))
	L.SetGlobal(lua.OsLibName, safe)
	// string.rep builds strings of bounded size only.
	strings := L.GetGlobal(lua.StringLibName).(*lua.LTable)
	strings.RawSetString("rep", L.NewFunction(boundedRep(limits.MaxStringBytes)))
	L.SetContext(ctx)
	return L
}

func boundedRep(max int) lua.LGFunction {
	return func(L *lua.LState) int {
		s := L.CheckString(1)
		n := L.CheckInt(2)
		if n <= 0 || s == "" {
			L.Push(lua.LString(""))
			return 1
		}
		if len(s) > max/n {
			L.RaiseError("string.rep: result larger than %d bytes", max)
			return 0
		}
		L.Push(lua.LString(strings.Repeat(s, n)))
		return 1
	}
}

// Script is a compiled Lua script, shared by every call.
type Script struct {
	name  string
	proto *lua.FunctionProto
}

// Compile parses and compiles source; name appears in errors.
func Compile(name, source string) (*Script, error) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	fn, err := L.Load(strings.NewReader(source), name)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", name, err)
	}
	return &Script{name: name, proto: fn.Proto}, nil
}

// run calls the script in a fresh sandbox with globals set, and returns its
// first result converted to Go values (shaped like shapes' values where a
// Lua table is empty), or nil.
func (s *Script) run(ctx context.Context, limits Limits, globals map[string]any, shape any) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, limits.Timeout)
	defer cancel()
	L := newState(ctx, limits)
	defer L.Close()
	for name, value := range globals {
		converted, err := toLua(L, value, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", s.name, name, err)
		}
		L.SetGlobal(name, converted)
	}
	L.Push(L.NewFunctionFromProto(s.proto))
	if err := L.PCall(0, 1, nil); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w (%s)", s.name, ErrTimeout, limits.Timeout)
		}
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	result := L.Get(-1)
	budget := limits.MaxStringBytes
	out, err := fromLua(result, shape, 0, &budget)
	if err != nil {
		return nil, fmt.Errorf("%s: result: %w", s.name, err)
	}
	return out, nil
}
