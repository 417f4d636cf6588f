package e2e

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// startSecondPlane starts another local control plane without
// capstan-apiserver (hack/local-up.sh with CAPSTAN_SKIP_APISERVER=1), for
// clusters Applications deploy to, and stops it when the test ends.
func startSecondPlane(t *testing.T) *plane {
	t.Helper()
	second := &plane{rootDir: cluster.rootDir, binDir: cluster.binDir, localDir: t.TempDir()}
	second.kubeconfig = filepath.Join(second.localDir, "kubeconfig")
	for _, base := range []int{50000, 51000, 52000, 53000} {
		second.portBase = base
		cmd := second.script("local-up.sh")
		cmd.Env = append(cmd.Env, "CAPSTAN_SKIP_APISERVER=1", "CAPSTAN_KWOK_NODES=1")
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == exitPortsInUse {
			continue
		}
		t.Cleanup(func() { second.stop(t.Failed()) })
		if err != nil {
			t.Fatalf("second plane: %v", err)
		}
		return second
	}
	t.Fatalf("second plane: no free port base")
	return nil
}

// mergedKubeconfig writes a kubeconfig with the main plane's context as
// current and the second plane's as context name; it returns its path and
// the second cluster's server.
func mergedKubeconfig(t *testing.T, second *plane, name string) (string, string) {
	t.Helper()
	merged, err := clientcmd.LoadFromFile(cluster.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	other, err := clientcmd.LoadFromFile(second.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	context := other.Contexts[other.CurrentContext]
	server := other.Clusters[context.Cluster].Server
	merged.Clusters[name] = other.Clusters[context.Cluster]
	merged.AuthInfos[name] = other.AuthInfos[context.AuthInfo]
	merged.Contexts[name] = context.DeepCopy()
	merged.Contexts[name].Cluster, merged.Contexts[name].AuthInfo = name, name
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*merged, path); err != nil {
		t.Fatal(err)
	}
	return path, server
}

func TestKubectlCapstanAddsAClusterAndARepository(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	second := startSecondPlane(t)
	kubeconfig, server := mergedKubeconfig(t, second, "second")
	env := []string{"KUBECONFIG=" + kubeconfig}
	parent := t

	t.Run("cluster add writes a cluster Secret with a token of the cluster's own", func(t *testing.T) {
		out, code := capstanWith(t, env, "", "cluster", "add", "second")
		if code != 0 {
			t.Fatalf("exit code %d\n%s", code, out)
		}
		expectOutput(t, "cluster add", out, fmt.Sprintf("cluster second (%s) added: Secret capstan-system/cluster-127-0-0-1-", server))
		secret := secretNamed(t, out)
		// The later subtests use the cluster: the parent test removes it.
		parent.Cleanup(func() { _, _ = tryKubectl("delete", "secret", secret, "-n", "capstan-system", "--ignore-not-found") })
		if got := kubectl(t, "get", "secret", secret, "-n", "capstan-system", "-o", `jsonpath={.metadata.labels.argocd\.argoproj\.io/secret-type}`); got != "cluster" {
			t.Errorf("secret type label %q", got)
		}
		if out, code := capstanWith(t, env, "", "cluster", "add", "second"); code != 1 || !strings.Contains(out, "--upsert") {
			t.Errorf("adding it again: exit code %d\n%s", code, out)
		}
		if out, code := capstanWith(t, env, "", "cluster", "add", "second", "--upsert"); code != 0 {
			t.Errorf("adding it again with --upsert: exit code %d\n%s", code, out)
		}
		if out, code := capstanWith(t, env, "", "cluster", "add", "nowhere"); code != 1 || !strings.Contains(out, `context "nowhere" is not in your kubeconfig`) {
			t.Errorf("an unknown context: exit code %d\n%s", code, out)
		}
	})
	t.Run("cluster list connects to every cluster", func(t *testing.T) {
		out, code := capstanWith(t, env, "", "cluster", "list")
		if code != 0 {
			t.Fatalf("exit code %d\n%s", code, out)
		}
		for _, row := range []string{`https://kubernetes.default.svc\s+in-cluster\s+\d+\.\d+\s+Successful`, regexp.QuoteMeta(server) + `\s+second\s+\d+\.\d+\s+Successful`} {
			if !regexp.MustCompile(row).MatchString(out) {
				t.Errorf("cluster list has no row %s:\n%s", row, out)
			}
		}
	})
	t.Run("an Application deploys to the added cluster", func(t *testing.T) {
		repo := newGitRepo(t, map[string]string{"remote/cm.yaml": configMap("remote", "there")})
		kubectlWithInput(t, fmt.Sprintf(`apiVersion: capstan.dev/v1alpha1
kind: Application
metadata: {name: remote, namespace: %[1]s}
spec:
  project: %[1]s
  source: {repoURL: %[2]q, targetRevision: main, path: remote}
  destination: {server: %[3]q, namespace: e2e-remote}
  syncPolicy: {automated: {}, syncOptions: [CreateNamespace=true]}
`, ns, repo.URL, server), "apply", "-f", "-")
		mustCapstan(t, "wait", "remote", "-n", ns, "--timeout", "90s")
		out, err := runKubectlWith([]string{"KUBECONFIG=" + second.kubeconfig}, "", "get", "configmap", "remote", "-n", "e2e-remote", "-o", "jsonpath={.data.value}")
		if err != nil || out != "there" {
			t.Errorf("the ConfigMap in the second cluster: %q, %v", out, err)
		}
		out, code := capstan(t, "get", "remote", "-n", ns)
		if code != 0 {
			t.Fatalf("get: exit code %d\n%s", code, out)
		}
		expectOutput(t, "get", out, "ConfigMap", "remote", "Synced")
	})
	t.Run("repo add writes the credentials a private repository needs", func(t *testing.T) {
		repo := newPrivateGitRepo(t, map[string]string{"private/cm.yaml": configMap("private", "secret")}, "e2e", "pa55word")
		out, code := capstanWith(t, nil, "pa55word\n", "repo", "add", repo.URL, "--username", "e2e", "--password-stdin")
		if code != 0 {
			t.Fatalf("exit code %d\n%s", code, out)
		}
		secret := secretNamed(t, out)
		t.Cleanup(func() { _, _ = tryKubectl("delete", "secret", secret, "-n", "capstan-system", "--ignore-not-found") })
		if strings.Contains(out, "pa55word") {
			t.Errorf("the password was printed:\n%s", out)
		}
		kubectlWithInput(t, configMapApplication(ns, "private", repo.URL), "apply", "-f", "-")
		mustCapstan(t, "wait", "private", "-n", ns, "--timeout", "90s")
		if got := kubectl(t, "get", "configmap", "private", "-n", ns, "-o", "jsonpath={.data.value}"); got != "secret" {
			t.Errorf("the ConfigMap from the private repository has %q", got)
		}
		out, code = capstanWith(t, nil, "", "repo", "add", "https://user:pw@git.example.com/app.git")
		// The first line of out is the command line, which has the URL.
		if _, printed, _ := strings.Cut(out, "\n"); code != 1 || strings.Contains(printed, ":pw@") || !strings.Contains(printed, "must not carry a password") {
			t.Errorf("a URL with a password: exit code %d\n%s", code, out)
		}
	})
}

// secretNamed is the Secret an `add` verb says it wrote.
func secretNamed(t *testing.T, out string) string {
	t.Helper()
	match := regexp.MustCompile(`Secret capstan-system/(\S+)`).FindStringSubmatch(out)
	if match == nil {
		t.Fatalf("the output names no Secret:\n%s", out)
	}
	return match[1]
}
