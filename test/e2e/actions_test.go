package e2e

import (
	"strings"
	"testing"
)

func TestAResourceActionRestartsADeploymentWithTheRightToRunActions(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, automatedApplication(ns, repo.URL, "guestbook", true), "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")
	generation := kubectl(t, "get", "deployment", "guestbook-ui", "-n", ns, "-o", "jsonpath={.metadata.generation}")

	path := "/apis/capstan.dev/v1alpha1/namespaces/" + ns + "/applications/guestbook/actions"
	body := `{"apiVersion": "capstan.dev/v1alpha1", "kind": "ApplicationActionRequest",
		"resource": {"group": "apps", "kind": "Deployment", "namespace": "` + ns + `", "name": "guestbook-ui"}, "action": "restart"}`

	// A viewer may not run actions: RBAC on applications/actions.
	grant(t, ns, "viewer", "view", "get", "applications.capstan.dev", "")
	if _, err := asUser("viewer", body, "create", "--raw", path, "-f", "-"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Fatalf("a viewer ran an action: %v", err)
	}
	grant(t, ns, "editor", "edit", "create", "applications.capstan.dev", "actions")
	out, err := asUser("editor", body, "create", "--raw", path, "-f", "-")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"message":"action restart ran on Deployment guestbook-ui"`) {
		t.Errorf("answer: %s", out)
	}
	restartedAt := kubectl(t, "get", "deployment", "guestbook-ui", "-n", ns, "-o", `jsonpath={.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}`)
	if restartedAt == "" {
		t.Fatalf("the pod template was not stamped")
	}
	if after := kubectl(t, "get", "deployment", "guestbook-ui", "-n", ns, "-o", "jsonpath={.metadata.generation}"); after == generation {
		t.Errorf("the Deployment's generation stayed %s: no new rollout", after)
	}
	// The restart is no drift: self-heal leaves it, the Application stays Synced.
	waitForAppState(t, ns, "Synced", "Healthy")

	// An action on an object that is not the Application's is refused.
	other := strings.Replace(body, "guestbook-ui", "not-managed", 1)
	if _, err := tryKubectlWithInput(other, "create", "--raw", path, "-f", "-"); err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Errorf("an action on another object: %v", err)
	}
	// An unknown action is a bad request.
	unknown := strings.Replace(body, `"restart"`, `"explode"`, 1)
	if _, err := tryKubectlWithInput(unknown, "create", "--raw", path, "-f", "-"); err == nil || !strings.Contains(err.Error(), `unknown action "explode"`) {
		t.Errorf("an unknown action: %v", err)
	}
}

// tryKubectlWithInput runs kubectl with stdin and returns its error.
func tryKubectlWithInput(stdin string, args ...string) (string, error) {
	return runKubectl(stdin, args...)
}
