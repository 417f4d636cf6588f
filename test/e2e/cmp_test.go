package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func pluginApplication(namespace, repoURL, path, name, plugin string) string {
	return fmt.Sprintf(`apiVersion: capstan.dev/v1alpha1
kind: Application
metadata:
  name: %[4]s
  namespace: %[1]s
spec:
  project: %[1]s
  source:
    repoURL: %[2]s
    targetRevision: main
    path: %[3]s
    plugin:
%[5]s
  destination:
    server: https://kubernetes.default.svc
    namespace: %[1]s
  syncPolicy:
    automated: {prune: true}
`, namespace, repoURL, path, name, plugin)
}

func namedAppField(t *testing.T, namespace, name, jsonpath string) string {
	t.Helper()
	out, _ := tryKubectl("get", "app", name, "-n", namespace, "-o", "jsonpath="+jsonpath)
	return out
}

func TestAPluginSourceRendersThroughARealPluginProcessWithParameters(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"echo/echo.marker": "", "echo/values.txt": "x\n"})
	kubectlWithInput(t, pluginApplication(ns, repo.URL, "echo", "echo", `      name: e2e-echo
      env: [{name: COLOR, value: blue}]
      parameters:
      - {name: greeting, string: hello}
      - {name: sizes, array: [small, large]}`), "apply", "-f", "-")
	eventually(t, syncTimeout, "the plugin's ConfigMap to be synced", func() (bool, error) {
		state := namedAppField(t, ns, "echo", "{.status.sync.status}/{.status.health.status}")
		return state == "Synced/Healthy", fmt.Errorf("state %q, conditions %s", state, namedAppField(t, ns, "echo", "{.status.conditions}"))
	})
	data := kubectl(t, "get", "configmap", "echo-echo", "-n", ns, "-o", "jsonpath={.data}")
	for _, want := range []string{`"greeting":"hello"`, `"sizes":"small,large"`, `"color":"blue"`, `"init":"hello from init"`,
		`init.out`, `values.txt`, `"server-env":"none"`} {
		if !strings.Contains(data, want) {
			t.Errorf("ConfigMap data %s lacks %s", data, want)
		}
	}

	t.Run("params shows the static and dynamic announcements with the Application's values", func(t *testing.T) {
		out := mustCapstan(t, "params", "echo", "-n", ns)
		for _, row := range []string{`1\s+e2e-echo\s+shade\s+Shade of blue\s+false\s+string\s+x\s+-`, `1\s+e2e-echo\s+greeting\s+Greeting\s+true\s+string\s+hi\s+hello`} {
			if !regexp.MustCompile(row).MatchString(out) {
				t.Errorf("params lacks a row like %s:\n%s", row, out)
			}
		}
		path := "/apis/capstan.dev/v1alpha1/namespaces/" + ns + "/applications/echo/parameters"
		expectOutput(t, "GET parameters", kubectl(t, "get", "--raw", path),
			`"kind":"ApplicationParameters"`, `"plugin":"e2e-echo"`, `"revision":"`+repo.head(t)+`"`, `{"name":"shade","title":"Shade of blue","string":"x"}`)
		if out, err := tryKubectl("get", "--raw", path, "--as=alice"); err == nil || !strings.Contains(err.Error(), "forbidden") {
			t.Errorf("a user without rights read the parameters: %v\n%s", err, out)
		}
	})

	// Without a name, the plugin whose discovery rule matches renders the source.
	kubectlWithInput(t, pluginApplication(ns, repo.URL, "echo", "discovered", "      env: [{name: COLOR, value: red}]"), "apply", "-f", "-")
	eventually(t, syncTimeout, "the discovered plugin's ConfigMap", func() (bool, error) {
		out, err := tryKubectl("get", "configmap", "echo-discovered", "-n", ns, "-o", "jsonpath={.data.color}")
		return out == "red", err
	})
}

// sidecarPlugin prints a ConfigMap with a setting of the sidecar's own
// environment that it passes on (--pass-env), and one it does not.
const sidecarPlugin = `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: e2e-sidecar
spec:
  version: v1
  generate:
    command: [sh, -c]
    args:
    - |
      cat <<EOF
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: sidecar-$ARGOCD_APP_NAME
      data:
        passed: "${SIDECAR_SETTING:-absent}"
        kept: "${SIDECAR_TOKEN:-absent}"
        greeting: "$PARAM_GREETING"
      EOF
`

// startSidecar runs capstan-cmp-server with the plugin in capstan-apiserver's
// --plugin-sockets-dir, as the sidecar container of the deployed pod does,
// until the test ends.
func startSidecar(t *testing.T, plugin string, env []string, args ...string) {
	t.Helper()
	dir := cluster.pluginSocketsDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "plugin.yaml")
	if err := os.WriteFile(config, []byte(plugin), 0o600); err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(dir, "sidecar-"+strconv.Itoa(os.Getpid())+".sock")
	cmd := exec.Command(filepath.Join(cluster.binDir, "capstan-cmp-server"), append([]string{"--config=" + config, "--socket=" + socket}, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = os.Remove(socket)
	})
}

func TestAPluginSourceRendersThroughASidecarRunnerOnASocket(t *testing.T) {
	requireCapstanAPIServer(t)
	startSidecar(t, sidecarPlugin, []string{"SIDECAR_SETTING=vault.example", "SIDECAR_TOKEN=hunter2"}, "--pass-env=SIDECAR_SETTING")
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"src/file.txt": "x\n"})
	kubectlWithInput(t, pluginApplication(ns, repo.URL, "src", "viasocket", `      name: e2e-sidecar-v1
      parameters:
      - {name: greeting, string: hi}`), "apply", "-f", "-")
	eventually(t, syncTimeout, "the sidecar plugin's ConfigMap to be synced", func() (bool, error) {
		state := namedAppField(t, ns, "viasocket", "{.status.sync.status}/{.status.health.status}")
		return state == "Synced/Healthy", fmt.Errorf("state %q, conditions %s", state, namedAppField(t, ns, "viasocket", "{.status.conditions}"))
	})
	data := kubectl(t, "get", "configmap", "sidecar-viasocket", "-n", ns, "-o", "jsonpath={.data}")
	for _, want := range []string{`"passed":"vault.example"`, `"kept":"absent"`, `"greeting":"hi"`} {
		if !strings.Contains(data, want) {
			t.Errorf("ConfigMap data %s lacks %s", data, want)
		}
	}
}

func TestANeverExitingOrFloodingPluginEndsWithAClearConditionAndOthersKeepRefreshing(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"src/file.txt": "x\n", "guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, pluginApplication(ns, repo.URL, "src", "sleeper", "      name: e2e-sleep"), "apply", "-f", "-")
	kubectlWithInput(t, pluginApplication(ns, repo.URL, "src", "flood", "      name: e2e-flood"), "apply", "-f", "-")
	kubectlWithInput(t, pluginApplication(ns, repo.URL, "src", "failing", "      name: e2e-fail\n      env: [{name: API_TOKEN, value: hunter2-token}]"), "apply", "-f", "-")
	for name, want := range map[string]string{"sleeper": "generate did not finish within 5s", "flood": "printed more than",
		"failing": "init failed (exit status 1): ...."} {
		eventually(t, compareTimeout, name+"'s ComparisonError", func() (bool, error) {
			conditions := namedAppField(t, ns, name, "{.status.conditions}")
			return strings.Contains(conditions, "ComparisonError") && strings.Contains(conditions, want), fmt.Errorf("conditions %s", conditions)
		})
	}
	// The failing plugin's reason is in its condition: the end of its stderr,
	// at most 1 KiB of it, the token of its environment masked.
	message := namedAppField(t, ns, "failing", `{.status.conditions[?(@.type=="ComparisonError")].message}`)
	expectOutput(t, "the failing plugin's condition", message, "login with *** refused: no helmfile.yaml")
	if strings.Contains(message, "hunter2") || strings.Count(message, ".") > 1100 {
		t.Errorf("the condition shows the token or more than 1 KiB of stderr:\n%s", message)
	}
	other := createNamespace(t)
	kubectlWithInput(t, guestbookApplication(other, repo.URL, "guestbook"), "apply", "-f", "-")
	waitForAppState(t, other, "OutOfSync", "Missing")
}

func TestThePluginSidecarManifestsPassAServerSideDryRun(t *testing.T) {
	requireCapstanAPIServer(t)
	overlay, err := os.MkdirTemp(filepath.Join(cluster.rootDir, "_output"), "plugin-sidecar-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(overlay) })
	base, err := filepath.Rel(overlay, filepath.Join(cluster.rootDir, "artifacts", "deploy"))
	if err != nil {
		t.Fatal(err)
	}
	kustomization := fmt.Sprintf("resources: [%s]\ncomponents: [%s/plugin-sidecar]\n", base, base)
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
		t.Fatal(err)
	}
	manifests := kubectl(t, "kustomize", overlay)
	for _, want := range []string{"--plugin-sockets-dir=/var/run/capstan/plugins", "name: cmp-example", "--install=/var/run/capstan/bin"} {
		if !strings.Contains(manifests, want) {
			t.Errorf("the rendered install lacks %s", want)
		}
	}
	// The objects the component adds or changes, created afresh: the test
	// cluster's own capstan-apiserver Service and APIService differ from the
	// deployed ones, and an apply would merge into them.
	var sidecar []string
	for _, doc := range strings.Split(manifests, "\n---\n") {
		if strings.Contains(doc, "\nkind: StatefulSet\n") || strings.Contains(doc, "\nkind: ConfigMap\n") {
			sidecar = append(sidecar, doc)
		}
	}
	out := kubectlWithInput(t, strings.Join(sidecar, "\n---\n"), "create", "--dry-run=server", "-f", "-")
	if !strings.Contains(out, "statefulset.apps/capstan-apiserver") || !strings.Contains(out, "configmap/capstan-cmp-example") {
		t.Errorf("dry run: %s", out)
	}
}
