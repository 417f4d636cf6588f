package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// capstan runs `kubectl capstan ARGS` — the real kubectl dispatching to the
// plugin kubectl-capstan in _output/bin — and returns its output (stdout,
// then stderr on failure) and exit code.
func capstan(t *testing.T, args ...string) (string, int) {
	t.Helper()
	return capstanWith(t, nil, "", args...)
}

func capstanWith(t *testing.T, env []string, stdin string, args ...string) (string, int) {
	t.Helper()
	out, err := runKubectlWith(env, stdin, append([]string{"capstan"}, args...)...)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out, 0
	case errors.As(err, &exit):
		return err.Error(), exit.ExitCode()
	}
	t.Fatalf("kubectl capstan %v: %v", args, err)
	return "", -1
}

// mustCapstan runs `kubectl capstan ARGS` and fails the test unless it exits 0.
func mustCapstan(t *testing.T, args ...string) string {
	t.Helper()
	out, code := capstan(t, args...)
	if code != 0 {
		t.Fatalf("kubectl capstan %s: exit code %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// expectOutput fails the test unless out contains every phrase.
func expectOutput(t *testing.T, what, out string, phrases ...string) {
	t.Helper()
	for _, phrase := range phrases {
		if !strings.Contains(out, phrase) {
			t.Errorf("%s: output lacks %q:\n%s", what, phrase, out)
		}
	}
}

func manualApplication(namespace, name, repoURL, path string) string {
	return fmt.Sprintf(`apiVersion: capstan.dev/v1alpha1
kind: Application
metadata:
  name: %[2]s
  namespace: %[1]s
spec:
  project: %[1]s
  source: {repoURL: %[3]q, targetRevision: main, path: %[4]s}
  destination: {server: https://kubernetes.default.svc, namespace: %[1]s}
`, namespace, name, repoURL, path)
}

func TestKubectlCapstanSyncsDiffsAndRollsBackAnApplication(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, manualApplication(ns, "guestbook", repo.URL, "guestbook"), "apply", "-f", "-")
	eventually(t, compareTimeout, "the first comparison", func() (bool, error) {
		got := appField(t, ns, "{.status.sync.status}")
		return got == "OutOfSync", fmt.Errorf("sync status %q", got)
	})

	t.Run("wait times out like kubectl wait on an Application that is not synced", func(t *testing.T) {
		out, code := capstan(t, "wait", "guestbook", "-n", ns, "--sync", "--timeout", "2s")
		if code != 1 {
			t.Fatalf("exit code %d, want 1\n%s", code, out)
		}
		expectOutput(t, "wait", out, "timed out waiting for the condition on application.capstan.dev/guestbook", "sync status is OutOfSync")
	})
	t.Run("diff shows the missing objects and exits 1", func(t *testing.T) {
		out, code := capstan(t, "diff", "guestbook", "-n", ns)
		if code != 1 {
			t.Fatalf("exit code %d, want 1\n%s", code, out)
		}
		expectOutput(t, "diff", out, "===== Deployment.apps "+ns+"/guestbook-ui (Missing) =====", "+  name: guestbook-ui")
	})
	t.Run("sync follows the operation and prints its result", func(t *testing.T) {
		out := mustCapstan(t, "sync", "guestbook", "-n", ns, "--timeout", "2m")
		expectOutput(t, "sync", out, "application.capstan.dev/guestbook sync to main requested", "application.capstan.dev/guestbook Succeeded",
			"KIND", "Deployment.apps", "guestbook-ui", "Synced")
		expectOutput(t, "wait", mustCapstan(t, "wait", "guestbook", "-n", ns, "--timeout", "2m"), "application.capstan.dev/guestbook condition met")
	})
	t.Run("get shows the resource tree down to the Pods", func(t *testing.T) {
		out := mustCapstan(t, "get", "guestbook", "-n", ns)
		expectOutput(t, "get", out, "Name:           "+ns+"/guestbook", "Sync Status:    Synced to main", "Health Status:  Healthy",
			"KIND", "Deployment.apps", "└─ReplicaSet.apps", "  └─Pod", "Service", "ConfigMap")
		if !regexp.MustCompile(`└─Pod\s+` + ns + `\s+guestbook-ui-\S+\s+Healthy`).MatchString(out) {
			t.Errorf("get: no healthy Pod below the ReplicaSet:\n%s", out)
		}
		expectOutput(t, "get -o wide", mustCapstan(t, "get", "guestbook", "-n", ns, "-o", "wide"), "VERSION", "AGE")
		expectOutput(t, "get -o yaml", mustCapstan(t, "get", "guestbook", "-n", ns, "-o", "yaml"), "apiVersion: capstan.dev/v1alpha1", "kind: Application")
		if out := mustCapstan(t, "get", "guestbook", "-n", ns, "-o", "jsonpath={.status.health.status}"); out != "Healthy" {
			t.Errorf("get -o jsonpath: %q", out)
		}
	})
	t.Run("diff of a synced Application prints nothing and exits 0", func(t *testing.T) {
		if out := mustCapstan(t, "diff", "guestbook", "-n", ns); out != "" {
			t.Errorf("diff printed %q", out)
		}
	})
	t.Run("diff --local compares files on disk, rendered here, with the live state", func(t *testing.T) {
		dir := t.TempDir()
		write := func(content string) {
			if err := os.WriteFile(filepath.Join(dir, "resources.yaml"), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(guestbookResources)
		if out := mustCapstan(t, "diff", "guestbook", "-n", ns, "--local", dir); out != "" {
			t.Errorf("diff --local of the synced files printed %q", out)
		}
		write(strings.Replace(guestbookResources, "greeting: hello", "greeting: local", 1))
		out, code := capstan(t, "diff", "guestbook", "-n", ns, "--local", dir)
		if code != 1 {
			t.Fatalf("exit code %d, want 1\n%s", code, out)
		}
		expectOutput(t, "diff --local", out, "===== ConfigMap "+ns+"/guestbook-config (OutOfSync) =====", "-  greeting: hello", "+  greeting: local")
		if out, code := capstan(t, "diff", "guestbook", "-n", ns, "--local", filepath.Join(dir, "missing")); code != 2 {
			t.Errorf("diff --local of a missing directory: exit code %d, want 2\n%s", code, out)
		}
	})

	first := repo.head(t)
	repo.commit(t, map[string]string{"guestbook/resources.yaml": strings.Replace(guestbookResources, "greeting: hello", "greeting: bye", 1)}, "bye")
	t.Run("refresh makes the controller see the new commit at once", func(t *testing.T) {
		out := mustCapstan(t, "refresh", "guestbook", "-n", ns, "--timeout", "2m")
		expectOutput(t, "refresh", out, "normal refresh requested", "refreshed: OutOfSync to main ("+repo.head(t)[:7]+")")
		expectOutput(t, "manifests", mustCapstan(t, "manifests", "guestbook", "-n", ns), "greeting: bye", "kind: Deployment")
		expectOutput(t, "manifests --revision", mustCapstan(t, "manifests", "guestbook", "-n", ns, "--revision", first), "greeting: hello")
	})
	t.Run("history lists both syncs and rollback returns to the first", func(t *testing.T) {
		mustCapstan(t, "sync", "guestbook", "-n", ns, "--timeout", "2m")
		if got := kubectl(t, "get", "configmap", "guestbook-config", "-n", ns, "-o", "jsonpath={.data.greeting}"); got != "bye" {
			t.Fatalf("greeting %q after the second sync", got)
		}
		history := mustCapstan(t, "history", "guestbook", "-n", ns)
		rows := strings.Split(strings.TrimSpace(history), "\n")
		if len(rows) != 3 || !strings.Contains(rows[1], first) {
			t.Fatalf("history:\n%s", history)
		}
		id := strings.Fields(rows[1])[0]
		out := mustCapstan(t, "rollback", "guestbook", id, "-n", ns, "--timeout", "2m")
		expectOutput(t, "rollback", out, "rollback to history entry "+id+" requested", "Succeeded")
		if got := kubectl(t, "get", "configmap", "guestbook-config", "-n", ns, "-o", "jsonpath={.data.greeting}"); got != "hello" {
			t.Errorf("greeting %q after the rollback, want hello", got)
		}
	})
}

// slowHookResources are a ConfigMap and a PreSync hook Job that completes
// after 60 s (failing when fail is set).
func slowHookResources(fail bool) string {
	annotation := `capstan.dev/kwok-complete-after: "60s"`
	if fail {
		annotation = `capstan.dev/kwok-fail: "true"`
	}
	return fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata:
  name: check
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations:
        %s
    spec:
      containers:
      - name: check
        image: busybox
      restartPolicy: Never
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  greeting: hello
`, annotation)
}

func TestKubectlCapstanReportsFailedAndTerminatedOperations(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"failing/resources.yaml": slowHookResources(true), "slow/resources.yaml": slowHookResources(false)})
	kubectlWithInput(t, manualApplication(ns, "failing", repo.URL, "failing")+"---\n"+manualApplication(ns, "slow", repo.URL, "slow"), "apply", "-f", "-")

	t.Run("a sync whose hook fails exits 1 with the failure", func(t *testing.T) {
		out, code := capstan(t, "sync", "failing", "-n", ns, "--timeout", "2m")
		if code != 1 {
			t.Fatalf("exit code %d, want 1\n%s", code, out)
		}
		expectOutput(t, "sync", out, "application.capstan.dev/failing Failed", "Job.batch", "PreSync", "1 of 1 operations did not succeed")
	})
	t.Run("terminate ends an operation that --async left running", func(t *testing.T) {
		expectOutput(t, "sync --async", mustCapstan(t, "sync", "slow", "-n", ns, "--async"), "application.capstan.dev/slow sync to main requested")
		eventually(t, syncTimeout, "the hook to run", func() (bool, error) {
			out, err := tryKubectl("get", "app", "slow", "-n", ns, "-o", "jsonpath={.status.operationState.phase}")
			return out == "Running", err
		})
		expectOutput(t, "terminate", mustCapstan(t, "terminate", "slow", "-n", ns), "application.capstan.dev/slow operation Terminating")
		expectOutput(t, "wait --operation", mustCapstan(t, "wait", "slow", "-n", ns, "--operation", "--timeout", "2m"), "condition met")
		if got := kubectl(t, "get", "app", "slow", "-n", ns, "-o", "jsonpath={.status.operationState.phase}"); got != "Failed" {
			t.Errorf("phase after terminate = %q, want Failed", got)
		}
	})
}

func TestKubectlCapstanDeleteCascadesOrOrphans(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"kept/cm.yaml": configMap("kept", "v"), "gone/cm.yaml": configMap("gone", "v")})
	for _, name := range []string{"kept", "gone"} {
		kubectlWithInput(t, configMapApplication(ns, name, repo.URL), "apply", "-f", "-")
	}
	for _, name := range []string{"kept", "gone"} {
		mustCapstan(t, "wait", name, "-n", ns, "--timeout", "2m")
	}
	expectOutput(t, "delete --cascade=orphan", mustCapstan(t, "delete", "kept", "-n", ns, "--cascade=orphan", "--timeout", "2m"),
		"application.capstan.dev/kept deleted (cascade orphan)")
	expectOutput(t, "delete", mustCapstan(t, "delete", "gone", "-n", ns, "--timeout", "2m"), "application.capstan.dev/gone deleted (cascade foreground)")
	if _, err := tryKubectl("get", "configmap", "kept", "-n", ns); err != nil {
		t.Errorf("the orphaned ConfigMap is gone: %v", err)
	}
	if _, err := tryKubectl("get", "configmap", "gone", "-n", ns); err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Errorf("the cascaded ConfigMap is still there: %v", err)
	}
	if out, code := capstan(t, "delete", "kept", "-n", ns, "--cascade=sideways"); code != 1 || !strings.Contains(out, "--cascade") {
		t.Errorf("a bad --cascade: exit code %d\n%s", code, out)
	}
}

func TestKubectlCapstanCompletesVerbsAndApplicationNames(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	kubectlWithInput(t, manualApplication(ns, "guestbook", "https://git.example.com/apps.git", "guestbook"), "apply", "-f", "-")
	expectOutput(t, "completion bash", mustCapstan(t, "completion", "bash"), "__start_kubectl-capstan")
	expectOutput(t, "completion zsh", mustCapstan(t, "completion", "zsh"), "#compdef kubectl-capstan")

	// kubectl completes `kubectl capstan ...` by running kubectl_complete-capstan.
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(cluster.binDir, "kubectl-capstan"), filepath.Join(dir, "kubectl_complete-capstan")); err != nil {
		t.Fatal(err)
	}
	path := "PATH=" + dir + string(os.PathListSeparator) + cluster.binDir + string(os.PathListSeparator) + os.Getenv("PATH")
	out, err := runKubectlWith([]string{path}, "", "__complete", "capstan", "get", "-n", ns, "gu")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "guestbook\n") {
		t.Errorf("kubectl __complete capstan get gu:\n%s", out)
	}
	out, err = runKubectlWith([]string{path}, "", "__complete", "capstan", "sy")
	if err != nil || !strings.HasPrefix(out, "sync") {
		t.Errorf("kubectl __complete capstan sy: %v\n%s", err, out)
	}
}
