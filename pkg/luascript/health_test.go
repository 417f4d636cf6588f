package luascript

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func widget(status map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w", "namespace": "ns"},
		"status":   status,
	}}
}

const widgetHealth = `
hs = {}
if obj.status ~= nil and obj.status.phase == "Ready" then
  hs.status = "Healthy"
  hs.message = "ready at " .. os.date("!%Y", 0)
  return hs
end
if obj.status ~= nil and obj.status.phase == "Broken" then
  return {status = "Degraded", message = obj.status.reason}
end
if obj.status ~= nil and obj.status.phase == "Odd" then
  return {status = "Weird", message = "odd"}
end
if obj.status ~= nil and obj.status.phase == "Quiet" then
  return {}
end
return {status = "Progressing", message = "waiting"}
`

func TestHealthScriptContract(t *testing.T) {
	c, err := Parse(map[string]string{"resource.customizations.health.example.com_Widget": widgetHealth}, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		status map[string]any
		want   *v1alpha1.HealthStatus
	}{
		{"a returned table is the health; os.date works", map[string]any{"phase": "Ready"}, &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusHealthy, Message: "ready at 1970"}},
		{"fields of obj are read", map[string]any{"phase": "Broken", "reason": "disk full"}, &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusDegraded, Message: "disk full"}},
		{"a status that is no health code is Unknown", map[string]any{"phase": "Odd"}, &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusUnknown, Message: "odd"}},
		{"an empty table is no opinion", map[string]any{"phase": "Quiet"}, nil},
		{"the default branch", map[string]any{}, &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusProgressing, Message: "waiting"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Health(context.Background(), widget(tt.status))
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("health = %+v, want %+v", got, tt.want)
			}
		})
	}
	other := widget(nil)
	other.SetKind("Gadget")
	if got, err := c.Health(context.Background(), other); got != nil || err != nil {
		t.Errorf("a kind without script: %v %v, want nothing", got, err)
	}
}

func TestSelectors(t *testing.T) {
	c, err := Parse(map[string]string{
		"resource.customizations.health.ConfigMap": `return {status = "Healthy", message = "core"}`,
		"resource.customizations": `
"*.crossplane.io/*":
  health.lua: |
    return {status = "Suspended", message = "wildcard"}
"example.com/Widget":
  health.lua: |
    return {status = "Degraded", message = "combined"}
`,
	}, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ apiVersion, kind, want string }{
		{"v1", "ConfigMap", "core"},
		{"s3.aws.crossplane.io/v1", "Bucket", "wildcard"},
		{"example.com/v1", "Widget", "combined"},
	} {
		obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": tt.apiVersion, "kind": tt.kind, "metadata": map[string]any{"name": "x"}}}
		got, err := c.Health(context.Background(), obj)
		if err != nil || got == nil || got.Message != tt.want {
			t.Errorf("%s %s: %v %v, want message %q", tt.apiVersion, tt.kind, got, err, tt.want)
		}
	}
}

func TestInvalidEntriesNameTheirKey(t *testing.T) {
	c, err := Parse(map[string]string{
		"resource.customizations.health.example.com_Broken": `if then`,
		"resource.customizations.actions.example.com_Bad":   `discovery.lua: ""`,
		"resource.customizations.health.example.com_Widget": `return {status = "Healthy"}`,
	}, DefaultLimits)
	for _, want := range []string{"resource.customizations.health.example.com_Broken", "resource.customizations.actions.example.com_Bad: discovery.lua is empty"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %q", err, want)
		}
	}
	if got, _ := c.Health(context.Background(), widget(nil)); got == nil || got.Status != v1alpha1.HealthStatusHealthy {
		t.Errorf("a valid entry next to invalid ones: %v", got)
	}
}

func TestSandbox(t *testing.T) {
	limits := DefaultLimits
	limits.Timeout = 200 * time.Millisecond
	tests := []struct {
		name, script, wantErr string
		timeout               bool
	}{
		{name: "no io library", script: `return {status = tostring(io)}`, wantErr: ""},
		{name: "no dofile", script: `dofile("/etc/passwd")`, wantErr: "attempt to call a non-function object"},
		{name: "no loadfile", script: `loadfile("/etc/passwd")`, wantErr: "attempt to call a non-function object"},
		{name: "no require", script: `require("os")`, wantErr: "attempt to call a non-function object"},
		{name: "no os.execute", script: `os.execute("true")`, wantErr: "attempt to call a non-function object"},
		{name: "no os.getenv", script: `os.getenv("HOME")`, wantErr: "attempt to call a non-function object"},
		{name: "an endless loop ends at the deadline", script: `while true do end`, timeout: true},
		{name: "unbounded recursion overflows the call stack", script: `local function f() return 1 + f() end return f()`, wantErr: "stack overflow"},
		{name: "string.rep is bounded", script: `return {message = string.rep("x", 100000000)}`, wantErr: "string.rep: result larger than"},
		{name: "a huge result is refused", script: `local t = {} for i = 1, 5000 do t[i] = string.rep("x", 1000) end return t`, wantErr: "larger than the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(map[string]string{"resource.customizations.health.example.com_Widget": tt.script}, limits)
			if err != nil {
				t.Fatal(err)
			}
			health, err := c.Health(context.Background(), widget(nil))
			switch {
			case tt.timeout:
				if !errors.Is(err, ErrTimeout) {
					t.Fatalf("error %v, want a timeout", err)
				}
			case tt.wantErr == "":
				if err != nil || health == nil || health.Status != v1alpha1.HealthStatusUnknown || health.Message != "" {
					t.Fatalf("health %v, error %v; want io to be nil (an invalid status)", health, err)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
			}
		})
	}
}
