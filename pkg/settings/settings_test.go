package settings

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/luascript"
)

func widget() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": "w", "namespace": "ns"},
	}}
}

func TestSettingsFollowTheConfigMaps(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	argocd := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "capstan-system", Name: "argocd-cm"},
		Data: map[string]string{
			"resource.customizations.health.example.com_Widget":         `return {status = "Progressing", message = "lua"}`,
			"resource.customizations.ignoreDifferences.apps_Deployment": "jsonPointers:\n- /spec/replicas\n",
		},
	}
	kube := fake.NewClientset(argocd)
	s := New(Options{Namespace: "capstan-system", ArgoCDConfigMap: "argocd-cm", HealthRulesConfigMap: "capstan-health-rules", LuaLimits: luascript.DefaultLimits})
	s.Start(ctx, kube)

	if health, err := s.Assess(widget()); err != nil || health == nil || health.Message != "lua" {
		t.Fatalf("health from the Lua script at start: %v %v", health, err)
	}
	if rules := s.SystemRules(); len(rules.Rules) != 1 {
		t.Errorf("system rules at start: %+v", rules)
	}

	// A changed script applies without a restart, and changes the
	// generation, which tells refreshes to compare again.
	generation := s.Generation()
	argocd.Data["resource.customizations.health.example.com_Widget"] = `return {status = "Healthy", message = "changed"}`
	if _, err := kube.CoreV1().ConfigMaps("capstan-system").Update(ctx, argocd, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForHealth(t, s, v1alpha1.HealthStatusHealthy, "changed")
	if s.Generation() == generation {
		t.Errorf("the generation stayed %d across a change of argocd-cm", generation)
	}

	// CEL rules of the other ConfigMap sit beside the Lua scripts.
	delete(argocd.Data, "resource.customizations.health.example.com_Widget")
	if _, err := kube.CoreV1().ConfigMaps("capstan-system").Update(ctx, argocd, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	cel := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "capstan-system", Name: "capstan-health-rules"},
		Data:       map[string]string{"example.com_Widget": `{"status": "Degraded", "message": "cel"}`},
	}
	if _, err := kube.CoreV1().ConfigMaps("capstan-system").Create(ctx, cel, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForHealth(t, s, v1alpha1.HealthStatusDegraded, "cel")

	// Deleting the ConfigMap drops its settings.
	if err := kube.CoreV1().ConfigMaps("capstan-system").Delete(ctx, "argocd-cm", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return len(s.SystemRules().Rules) == 0, nil
	}); err != nil {
		t.Errorf("system rules after deleting argocd-cm: %+v", s.SystemRules())
	}
}

func waitForHealth(t *testing.T, s *Settings, status v1alpha1.HealthStatusCode, message string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		health, _ := s.Assess(widget())
		return health != nil && health.Status == status && health.Message == message, nil
	})
	if err != nil {
		health, assessErr := s.Assess(widget())
		t.Fatalf("health %v (%v), want %s %q", health, assessErr, status, message)
	}
}
