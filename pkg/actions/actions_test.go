package actions

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/luascript"
)

var fixedNow = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

func object(apiVersion, kind string, fields map[string]any) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: fields}
	obj.SetAPIVersion(apiVersion)
	obj.SetKind(kind)
	obj.SetNamespace("shop")
	obj.SetName("web")
	return obj
}

func TestBuiltinActions(t *testing.T) {
	runner := Runner{Now: func() time.Time { return fixedNow }}
	deployment := object("apps/v1", "Deployment", map[string]any{"spec": map[string]any{"template": map[string]any{}}})
	rollout := object("argoproj.io/v1alpha1", "Rollout", map[string]any{
		"spec":   map[string]any{"paused": true},
		"status": map[string]any{"pauseConditions": []any{map[string]any{"reason": "CanaryPauseStep"}}, "abort": true},
	})
	cronJob := object("batch/v1", "CronJob", map[string]any{"spec": map[string]any{
		"jobTemplate": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "web"}}, "spec": map[string]any{"backoffLimit": int64(1)}},
	}})
	tests := []struct {
		name   string
		obj    *unstructured.Unstructured
		action string
		path   []string
		want   any
	}{
		{"restart stamps the pod template", deployment, "restart", []string{"spec", "template", "metadata", "annotations", RestartedAtAnnotation}, "2026-12-05T10:00:00Z"},
		{"pause pauses a Deployment", deployment, "pause", []string{"spec", "paused"}, true},
		{"restart of a Rollout sets restartAt", rollout, "restart", []string{"spec", "restartAt"}, "2026-12-05T10:00:00Z"},
		{"promote unpauses a Rollout", rollout, "promote", []string{"spec", "paused"}, false},
		{"promote-full is a status field", rollout, "promote-full", []string{"status", "promoteFull"}, true},
		{"abort is a status field", rollout, "abort", []string{"status", "abort"}, true},
		{"retry clears the abort", rollout, "retry", []string{"status", "abort"}, false},
		{"suspend suspends a CronJob", cronJob, "suspend", []string{"spec", "suspend"}, true},
		{"resume resumes a CronJob", cronJob, "resume", []string{"spec", "suspend"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.obj.DeepCopy()
			result, err := runner.Run(context.Background(), tt.obj, tt.action, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _, _ := unstructured.NestedFieldNoCopy(result.Object.Object, tt.path...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%v = %v, want %v", tt.path, got, tt.want)
			}
			if !reflect.DeepEqual(before, tt.obj) {
				t.Errorf("the action changed its input")
			}
		})
	}
	t.Run("promote clears the pause conditions", func(t *testing.T) {
		result, _ := runner.Run(context.Background(), rollout, "promote", nil)
		if _, found, _ := unstructured.NestedFieldNoCopy(result.Object.Object, "status", "pauseConditions"); found {
			t.Errorf("pause conditions remain")
		}
	})
	t.Run("create-job makes a Job owned by the CronJob from its template", func(t *testing.T) {
		result, err := runner.Run(context.Background(), cronJob, "create-job", nil)
		if err != nil || len(result.Created) != 1 || result.Object != nil {
			t.Fatalf("result %+v, error %v", result, err)
		}
		job := result.Created[0]
		if job.GetKind() != "Job" || !strings.HasPrefix(job.GetName(), "web-") || job.GetNamespace() != "shop" ||
			job.GetLabels()["app"] != "web" || job.GetAnnotations()["cronjob.kubernetes.io/instantiate"] != "manual" ||
			len(job.GetOwnerReferences()) != 1 || job.GetOwnerReferences()[0].Kind != "CronJob" {
			t.Errorf("job %v", job.Object)
		}
	})
	t.Run("an action the kind does not have", func(t *testing.T) {
		if _, err := runner.Run(context.Background(), cronJob, "restart", nil); !errors.Is(err, ErrUnknownAction) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("a Deployment's available actions", func(t *testing.T) {
		got, err := runner.Available(context.Background(), deployment)
		if err != nil || !reflect.DeepEqual(got, []string{"pause", "restart", "resume"}) {
			t.Errorf("available %v %v", got, err)
		}
	})
}

func TestLuaActions(t *testing.T) {
	customizations, err := luascript.Parse(map[string]string{
		"resource.customizations.actions.apps_Deployment": `
discovery.lua: |
  actions = {}
  actions["scale"] = {}
  actions["hidden"] = {["disabled"] = true}
  return actions
definitions:
- name: scale
  action.lua: |
    obj.spec.replicas = tonumber(actionParams["replicas"])
    return obj
- name: hidden
  action.lua: return obj
mergeBuiltinActions: true
`,
		"resource.customizations.actions.example.com_Widget": `
discovery.lua: |
  return {copy = {}}
definitions:
- name: copy
  action.lua: |
    local copy = {apiVersion = "v1", kind = "ConfigMap", metadata = {name = obj.metadata.name .. "-copy"}, data = {from = obj.metadata.name}}
    obj.metadata.labels = {copied = "yes"}
    return {{operation = "create", resource = copy}, {operation = "patch", resource = obj}}
`,
	}, luascript.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	runner := Runner{Customizations: func() *luascript.Customizations { return customizations }, Now: func() time.Time { return fixedNow }}
	deployment := object("apps/v1", "Deployment", map[string]any{"spec": map[string]any{"replicas": int64(1), "template": map[string]any{}}})

	result, err := runner.Run(context.Background(), deployment, "scale", []v1alpha1.ActionParam{{Name: "replicas", Value: "3"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := result.Object.Object["spec"].(map[string]any)["replicas"]; got != int64(3) {
		t.Errorf("replicas = %v, want 3", got)
	}
	if available, _ := runner.Available(context.Background(), deployment); !reflect.DeepEqual(available, []string{"pause", "restart", "resume", "scale"}) {
		t.Errorf("available actions %v: the disabled one hidden, the built-in ones merged", available)
	}
	if _, err := runner.Run(context.Background(), deployment, "restart", nil); err != nil {
		t.Errorf("a built-in action with mergeBuiltinActions: %v", err)
	}

	widget := object("example.com/v1", "Widget", map[string]any{})
	result, err = runner.Run(context.Background(), widget, "copy", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(result.Created) != 1 || result.Created[0].GetName() != "web-copy" || result.Object.GetLabels()["copied"] != "yes" {
		t.Errorf("impacted resources: %+v", result)
	}
}
