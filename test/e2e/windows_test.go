package e2e

import (
	"fmt"
	"strings"
	"testing"
)

func TestSyncWindowsHoldAutomatedAndManualSyncs(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	project := ns
	// A deny window that is always active: every minute, for an hour.
	kubectlWithInput(t, fmt.Sprintf(`apiVersion: capstan.dev/v1alpha1
kind: AppProject
metadata:
  name: %s
spec:
  sourceNamespaces: [%[1]s]
  sourceRepos: ["*"]
  destinations: [{server: "*", namespace: "*"}]
  syncWindows:
  - kind: deny
    schedule: "* * * * *"
    duration: 1h
    applications: ["*"]
`, project), "apply", "-f", "-")
	t.Cleanup(func() { _, _ = tryKubectl("delete", "appproject", project, "--wait=false") })
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	app := inProject(automatedApplication(ns, repo.URL, "guestbook", false), ns, project)
	kubectlWithInput(t, app, "apply", "-f", "-")

	// Automated sync is held: the comparison is published, no operation starts.
	waitForAppState(t, ns, "OutOfSync", "Missing")
	if phase := appField(t, ns, "{.status.operationState.phase}"); phase != "" {
		t.Fatalf("an operation ran inside a deny window: %s", phase)
	}

	// The sync subresource refuses a manual sync, as Argo CD's API does.
	out, err := runKubectl("", "create", "sync", "guestbook", "-n", ns)
	if err == nil || !strings.Contains(out+err.Error(), "blocked by sync window") {
		t.Fatalf("kubectl create sync inside a deny window: %v\n%s", err, out)
	}
	// An operation written directly waits, Running, saying why.
	kubectl(t, "patch", "app", "guestbook", "-n", ns, "--type=merge", "-p",
		`{"operation":{"initiatedBy":{"username":"e2e"},"sync":{"revision":"main"}}}`)
	eventually(t, compareTimeout, "the written operation to be held by the window", func() (bool, error) {
		message := appField(t, ns, "{.status.operationState.message}")
		return strings.Contains(message, "blocked by sync window"), fmt.Errorf("operation message %q", message)
	})
	if _, err := tryKubectl("get", "deployment", "guestbook-ui", "-n", ns); err == nil {
		t.Fatalf("the held sync applied objects")
	}

	// Letting manual syncs through the window releases it at once.
	kubectl(t, "patch", "appproject", project, "--type=json", "-p", `[{"op":"add","path":"/spec/syncWindows/0/manualSync","value":true}]`)
	eventually(t, syncTimeout, "the released sync to succeed", func() (bool, error) {
		phase := appField(t, ns, "{.status.operationState.phase}")
		return phase == "Succeeded", fmt.Errorf("phase %q: %s", phase, appField(t, ns, "{.status.operationState.message}"))
	})
	waitForAppState(t, ns, "Synced", "Healthy")
}
