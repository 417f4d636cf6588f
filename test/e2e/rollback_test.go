package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// syncAndWait requests a sync of guestbook and waits for it to succeed.
func syncAndWait(t *testing.T, ns string) {
	t.Helper()
	startedBefore := appField(t, ns, "{.status.operationState.startedAt}")
	kubectl(t, "create", "sync", "guestbook", "-n", ns)
	eventually(t, syncTimeout, "the sync to succeed", func() (bool, error) {
		phase := appField(t, ns, "{.status.operationState.phase}")
		started := appField(t, ns, "{.status.operationState.startedAt}")
		if phase == "Failed" || phase == "Error" {
			t.Fatalf("sync %s: %s", phase, appField(t, ns, "{.status.operationState.message}"))
		}
		return phase == "Succeeded" && started != startedBefore, fmt.Errorf("phase %q", phase)
	})
}

func TestRollbackDeploysAnEarlierRevisionFromHistory(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "guestbook"), "apply", "-f", "-")
	waitForAppState(t, ns, "OutOfSync", "Missing")
	syncAndWait(t, ns)
	firstID := appField(t, ns, "{.status.history[0].id}")
	firstRevision := appField(t, ns, "{.status.history[0].revision}")

	repo.commit(t, map[string]string{"guestbook/resources.yaml": strings.Replace(guestbookResources, "greeting: hello", "greeting: bonjour", 1)}, "greet in French")
	kubectl(t, "annotate", "app", "guestbook", "-n", ns, "argocd.argoproj.io/refresh=normal", "--overwrite")
	waitForAppState(t, ns, "OutOfSync", "Healthy")
	syncAndWait(t, ns)
	if greeting := kubectl(t, "get", "configmap", "guestbook-config", "-n", ns, "-o", "jsonpath={.data.greeting}"); greeting != "bonjour" {
		t.Fatalf("after syncing the new commit the greeting is %q", greeting)
	}

	body := filepath.Join(t.TempDir(), "rollback.json")
	if err := os.WriteFile(body, []byte(fmt.Sprintf(`{"spec":{"id":%s}}`, firstID)), 0o600); err != nil {
		t.Fatal(err)
	}
	kubectl(t, "create", "--raw", "/apis/capstan.dev/v1alpha1/namespaces/"+ns+"/applications/guestbook/rollback", "-f", body)
	eventually(t, syncTimeout, "the rollback to restore the first greeting", func() (bool, error) {
		greeting, err := tryKubectl("get", "configmap", "guestbook-config", "-n", ns, "-o", "jsonpath={.data.greeting}")
		phase := appField(t, ns, "{.status.operationState.phase}")
		return err == nil && greeting == "hello" && phase == "Succeeded", fmt.Errorf("greeting %q, phase %q, err %v", greeting, phase, err)
	})
	if revision := appField(t, ns, "{.status.operationState.syncResult.revision}"); revision != firstRevision {
		t.Errorf("the rollback synced revision %s, want %s", revision, firstRevision)
	}
	// The Application still points at main, which has moved on: OutOfSync.
	waitForAppState(t, ns, "OutOfSync", "Healthy")
}

func TestAFailedPreSyncHookStopsTheSyncAndRunsSyncFail(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	hooks := `apiVersion: batch/v1
kind: Job
metadata:
  name: failing-check
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations:
        capstan.dev/kwok-fail: "true"
    spec:
      containers:
      - name: check
        image: busybox
      restartPolicy: Never
---
apiVersion: batch/v1
kind: Job
metadata:
  name: on-failure
  annotations:
    argocd.argoproj.io/hook: SyncFail
spec:
  template:
    spec:
      containers:
      - name: notify
        image: busybox
      restartPolicy: Never
`
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources, "guestbook/hooks.yaml": hooks})
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "guestbook"), "apply", "-f", "-")
	waitForAppState(t, ns, "OutOfSync", "Missing")

	kubectl(t, "create", "sync", "guestbook", "-n", ns)
	eventually(t, syncTimeout, "the sync to fail", func() (bool, error) {
		phase := appField(t, ns, "{.status.operationState.phase}")
		return phase == "Failed", fmt.Errorf("phase %q: %s", phase, appField(t, ns, "{.status.operationState.message}"))
	})
	if _, err := tryKubectl("get", "job", "on-failure", "-n", ns); err != nil {
		t.Errorf("the SyncFail hook was not created: %v", err)
	}
	if _, err := tryKubectl("get", "deployment", "guestbook-ui", "-n", ns); err == nil {
		t.Errorf("the Sync phase ran although the PreSync hook failed")
	}
	if message := appField(t, ns, "{.status.operationState.message}"); !strings.Contains(message, "failing-check") {
		t.Errorf("operation message %q does not name the failed hook", message)
	}
}
