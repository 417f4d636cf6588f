package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// setArgoCDConfig sets one key of argocd-cm in capstan-system (creating the
// ConfigMap if needed) and removes it when the test ends.
func setArgoCDConfig(t *testing.T, key, value string) {
	t.Helper()
	if _, err := tryKubectl("get", "configmap", "argocd-cm", "-n", "capstan-system"); err != nil {
		kubectl(t, "create", "configmap", "argocd-cm", "-n", "capstan-system")
	}
	patch, err := json.Marshal(map[string]any{"data": map[string]any{key: value}})
	if err != nil {
		t.Fatal(err)
	}
	kubectl(t, "patch", "configmap", "argocd-cm", "-n", "capstan-system", "--type", "merge", "-p", string(patch))
	t.Cleanup(func() {
		remove, _ := json.Marshal(map[string]any{"data": map[string]any{key: nil}})
		if _, err := tryKubectl("patch", "configmap", "argocd-cm", "-n", "capstan-system", "--type", "merge", "-p", string(remove)); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
}

// widgetCRD defines a namespaced kind Widget with a status subresource in group.
func widgetCRD(t *testing.T, group string) {
	t.Helper()
	kubectlWithInput(t, fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.%[1]s
spec:
  group: %[1]s
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`, group), "apply", "-f", "-")
	t.Cleanup(func() { _, _ = tryKubectl("delete", "crd", "widgets."+group, "--wait=false") })
	eventually(t, compareTimeout, "the Widget kind to be served", func() (bool, error) {
		_, err := tryKubectl("get", "widgets."+group, "-A")
		return err == nil, err
	})
}

func widgetHealth(t *testing.T, ns string) string {
	t.Helper()
	return appField(t, ns, `{.status.resources[?(@.kind=="Widget")].health.status}/{.status.resources[?(@.kind=="Widget")].health.message}`)
}

func TestALuaHealthCheckFromArgoCDConfigMapFollowsTheResourceAndItsEdits(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	group := ns + ".e2e.capstan.dev"
	widgetCRD(t, group)
	key := "resource.customizations.health." + group + "_Widget"
	setArgoCDConfig(t, key, `
hs = {status = "Progressing", message = "waiting for the widget"}
if obj.status ~= nil and obj.status.phase == "Ready" then
  hs.status = "Healthy"
  hs.message = "the widget is ready"
end
return hs
`)
	repo := newGitRepo(t, map[string]string{"widgets/gear.yaml": fmt.Sprintf("apiVersion: %s/v1\nkind: Widget\nmetadata:\n  name: gear\nspec:\n  teeth: 12\n", group)})
	kubectlWithInput(t, automatedApplication(ns, repo.URL, "widgets", false), "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Progressing")
	if got := widgetHealth(t, ns); got != "Progressing/waiting for the widget" {
		t.Errorf("Widget health = %q", got)
	}

	// The controller of the widget reports it ready: the watch refreshes the Application.
	kubectl(t, "patch", "widgets."+group, "gear", "-n", ns, "--subresource=status", "--type", "merge", "-p", `{"status":{"phase":"Ready"}}`)
	waitForAppState(t, ns, "Synced", "Healthy")
	if got := widgetHealth(t, ns); got != "Healthy/the widget is ready" {
		t.Errorf("Widget health = %q", got)
	}

	// The rule is edited in argocd-cm: the next refresh uses it, without a restart.
	setArgoCDConfig(t, key, `return {status = "Degraded", message = "the rule changed"}`)
	eventually(t, compareTimeout, "the edited rule to apply", func() (bool, error) {
		kubectl(t, "annotate", "app", "guestbook", "-n", ns, "argocd.argoproj.io/refresh=normal", "--overwrite")
		got := widgetHealth(t, ns)
		return got == "Degraded/the rule changed", fmt.Errorf("Widget health %q", got)
	})
}

func TestAnEndlessLuaHealthCheckEndsWithAClearHealthAndOtherApplicationsKeepRefreshing(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	group := ns + ".e2e.capstan.dev"
	widgetCRD(t, group)
	setArgoCDConfig(t, "resource.customizations.health."+group+"_Widget", `while true do end`)
	repo := newGitRepo(t, map[string]string{
		"widgets/gear.yaml":        fmt.Sprintf("apiVersion: %s/v1\nkind: Widget\nmetadata:\n  name: gear\n", group),
		"guestbook/resources.yaml": guestbookResources,
	})
	kubectlWithInput(t, automatedApplication(ns, repo.URL, "widgets", false), "apply", "-f", "-")
	eventually(t, compareTimeout, "the Widget's health to name the timeout", func() (bool, error) {
		got := widgetHealth(t, ns)
		return strings.HasPrefix(got, "Unknown/") && strings.Contains(got, "did not finish in time"), fmt.Errorf("Widget health %q", got)
	})
	if got := appField(t, ns, "{.status.health.status}"); got != "Unknown" {
		t.Errorf("Application health = %q, want Unknown", got)
	}

	// Another Application keeps being compared meanwhile.
	other := createNamespace(t)
	kubectlWithInput(t, guestbookApplication(other, repo.URL, "guestbook"), "apply", "-f", "-")
	waitForAppState(t, other, "OutOfSync", "Missing")
}
