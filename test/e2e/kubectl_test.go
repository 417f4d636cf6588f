package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kubectlTimeout bounds one kubectl invocation, so a hung call fails its test.
const kubectlTimeout = 2 * time.Minute

// kubectl runs the built kubectl as the plane's admin and returns its stdout;
// the test fails with kubectl's output when it exits non-zero.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := tryKubectl(args...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return out
}

// kubectlWithInput is kubectl with stdin, e.g. `apply -f -`.
func kubectlWithInput(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := runKubectl(stdin, args...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return out
}

// tryKubectl runs kubectl and returns its error instead of failing the test,
// for polling.
func tryKubectl(args ...string) (string, error) { return runKubectl("", args...) }

func runKubectl(stdin string, args ...string) (string, error) {
	return runKubectlWith(nil, stdin, args...)
}

// runKubectlWith is runKubectl with more environment variables, which win
// over the plane's (KUBECONFIG, PATH).
func runKubectlWith(env []string, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	// The kubeconfig and a discovery cache of this plane's own (another plane
	// may have used the same ports) go in the environment rather than in flags:
	// kubectl finds plugins such as kubectl-create-sync only when no flag comes
	// before the plugin's name.
	cmd := exec.CommandContext(ctx, filepath.Join(cluster.binDir, "kubectl"), args...)
	cmd.Env = append(os.Environ(),
		"KUBECONFIG="+cluster.kubeconfig,
		"KUBECACHEDIR="+filepath.Join(cluster.localDir, "kubectl-cache"),
		"PATH="+cluster.binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
	)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// eventually polls condition every 250 ms until it reports done or timeout
// passes; then the test fails naming what it waited for and the last error.
func eventually(t *testing.T, timeout time.Duration, what string, condition func() (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ticker := time.NewTicker(250 * time.Millisecond)
	defer ticker.Stop()
	var lastErr error
	for {
		done, err := condition()
		if done {
			return
		}
		lastErr = err
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, what, lastErr)
		case <-ticker.C:
		}
	}
}

// createNamespace creates a namespace named after the test and deletes it
// when the test ends (without waiting: deletion takes seconds).
func createNamespace(t *testing.T) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	// Short enough that "<namespace>_guestbook", the instance label value of
	// the tests' Applications, stays within a label value's 63 characters.
	if len(name) > 40 {
		name = name[:40]
	}
	name = strings.Trim(name, "-") + fmt.Sprintf("-%d", time.Now().UnixNano()%100000)
	kubectl(t, "create", "namespace", name)
	t.Cleanup(func() {
		if _, err := tryKubectl("delete", "namespace", name, "--wait=false"); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	createProject(t, name, `  sourceRepos: ["*"]
  destinations: [{server: "*", namespace: "*"}]
  clusterResourceWhitelist: [{group: "*", kind: "*"}]
`)
	return name
}

func requireCapstanAPIServer(t *testing.T) {
	t.Helper()
	if skipCapstanAPIServer() {
		t.Skip("CAPSTAN_SKIP_APISERVER=1: the plane runs without capstan-apiserver")
	}
}
