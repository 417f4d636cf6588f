package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The tests in this file check the kubectl experience of capstan.dev through
// kube-apiserver's aggregation layer.

func TestExamplesApplyAndListWithPrinterColumns(t *testing.T) {
	requireCapstanAPIServer(t)
	examples := filepath.Join(cluster.rootDir, "artifacts", "examples")
	kubectl(t, "apply", "-f", examples)
	t.Cleanup(func() {
		if _, err := tryKubectl("delete", "-f", examples, "--wait=false", "--ignore-not-found"); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})

	out := kubectl(t, "get", "applications", "-A")
	header := strings.Fields(strings.SplitN(out, "\n", 2)[0])
	want := []string{"NAMESPACE", "NAME", "SYNC", "STATUS", "HEALTH", "STATUS", "AGE"}
	if strings.Join(header, " ") != strings.Join(want, " ") {
		t.Errorf("kubectl get applications -A header = %q, want %q", header, want)
	}
	for _, name := range []string{"my-app", "my-nginx", "my-app-prod"} {
		if !strings.Contains(out, name) {
			t.Errorf("kubectl get applications -A does not list %s:\n%s", name, out)
		}
	}

	wide := kubectl(t, "get", "app", "my-app", "-n", "argocd", "-o", "wide")
	if !strings.Contains(wide, "REVISION") || !strings.Contains(wide, "PROJECT") || !strings.Contains(wide, "default") {
		t.Errorf("kubectl get app -o wide lacks REVISION/PROJECT:\n%s", wide)
	}

	// The brief's AppProject carries metadata.namespace; the cluster-scoped kind drops it.
	if got := kubectl(t, "get", "appproj", "production", "-o", "jsonpath={.spec.description}"); got != "Production applications" {
		t.Errorf("appproject production description = %q", got)
	}
	category := kubectl(t, "get", "capstan", "-A", "-o", "name")
	for _, want := range []string{"application.capstan.dev/my-app", "applicationset.capstan.dev/my-apps", "appproject.capstan.dev/default"} {
		if !strings.Contains(category, want) {
			t.Errorf("kubectl get capstan -A does not list %s:\n%s", want, category)
		}
	}
	// Status in a manifest is ignored on create: the server owns it.
	if got := kubectl(t, "get", "app", "my-app", "-n", "argocd", "-o", "jsonpath={.status.sync.revision}"); got != "" {
		t.Errorf("status.sync.revision from the manifest was stored: %q", got)
	}
}

func TestExplainShowsFieldDocumentation(t *testing.T) {
	requireCapstanAPIServer(t)
	out := kubectl(t, "explain", "application.spec.syncPolicy.automated")
	for _, field := range []string{"prune", "selfHeal", "allowEmpty"} {
		if !strings.Contains(out, field) {
			t.Errorf("kubectl explain application.spec.syncPolicy.automated lacks %s:\n%s", field, out)
		}
	}
	if out := kubectl(t, "explain", "appproject.spec.destinations"); !strings.Contains(out, "namespace") {
		t.Errorf("kubectl explain appproject.spec.destinations lacks namespace:\n%s", out)
	}
}

const guestbookApp = `apiVersion: capstan.dev/v1alpha1
kind: Application
metadata:
  name: guestbook
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps.git
    targetRevision: HEAD
    path: guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
`

func TestServerSideApplyFieldSelectorsAndStrictValidation(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	// The Applications use the namespace's own project, which accepts them.
	guestbookApp := strings.Replace(guestbookApp, "project: default", "project: "+ns, 1)
	kubectlWithInput(t, guestbookApp, "apply", "--server-side", "-n", ns, "-f", "-")
	managers := kubectl(t, "get", "app", "guestbook", "-n", ns, "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}")
	if !strings.Contains(managers, "kubectl") {
		t.Errorf("managedFields managers = %q, want kubectl", managers)
	}
	// A second apply by another manager that takes a field needs --force-conflicts.
	changed := strings.Replace(guestbookApp, "path: guestbook", "path: helm-guestbook", 1)
	if _, err := runKubectl(changed, "apply", "--server-side", "--field-manager=other", "-n", ns, "-f", "-"); err == nil || !strings.Contains(err.Error(), "conflict") {
		t.Errorf("conflicting server-side apply: got %v, want a conflict", err)
	}
	kubectlWithInput(t, changed, "apply", "--server-side", "--field-manager=other", "--force-conflicts", "-n", ns, "-f", "-")

	other := strings.Replace(strings.Replace(guestbookApp, "name: guestbook", "name: other-project", 1), "project: "+ns, "project: production", 1)
	kubectlWithInput(t, `apiVersion: capstan.dev/v1alpha1
kind: AppProject
metadata:
  name: production
spec:
  sourceNamespaces: [`+ns+`]
  sourceRepos: ["*"]
  destinations: [{server: "*", namespace: "*"}]
`, "apply", "-f", "-")
	kubectlWithInput(t, other, "apply", "-n", ns, "-f", "-")
	got := kubectl(t, "get", "apps", "-n", ns, "--field-selector", "spec.project="+ns, "-o", "name")
	if strings.TrimSpace(got) != "application.capstan.dev/guestbook" {
		t.Errorf("--field-selector spec.project=%s listed %q, want only guestbook", ns, got)
	}

	unknown := strings.Replace(guestbookApp, "  project: "+ns+"\n", "  project: "+ns+"\n  notAField: true\n", 1)
	_, err := runKubectl(unknown, "apply", "-n", ns, "-f", "-")
	if err == nil || !strings.Contains(err.Error(), `unknown field "spec.notAField"`) {
		t.Errorf("apply with an unknown field: got %v, want a strict validation error naming spec.notAField", err)
	}
	invalid := strings.Replace(guestbookApp, "name: guestbook", "name: invalid", 1)
	invalid = strings.Replace(invalid, "    namespace: guestbook\n", "    namespace: guestbook\n    name: in-cluster\n", 1)
	_, err = runKubectl(invalid, "apply", "-n", ns, "-f", "-")
	if err == nil || !strings.Contains(err.Error(), "spec.destination") {
		t.Errorf("apply with server and name: got %v, want an error naming spec.destination", err)
	}
}

func TestSyncThroughRawPostAndThePlugin(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	// A PreSync hook that takes a while keeps the operation running long
	// enough to see the conflict a second request gets.
	slowHook := `apiVersion: batch/v1
kind: Job
metadata:
  name: slow-check
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  template:
    metadata:
      annotations:
        capstan.dev/kwok-complete-after: "120s"
    spec:
      containers:
      - name: check
        image: busybox
      restartPolicy: Never
`
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources, "guestbook/hook.yaml": slowHook})
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "guestbook"), "apply", "-f", "-")

	if got := strings.TrimSpace(kubectl(t, "auth", "can-i", "create", "applications", "--subresource=sync", "-n", ns)); got != "yes" {
		t.Errorf("kubectl auth can-i create applications --subresource=sync = %q, want yes", got)
	}

	// A server dry run validates the request and sets nothing.
	out := kubectl(t, "create", "sync", "guestbook", "-n", ns, "--dry-run=server", "-o", "name")
	if strings.TrimSpace(out) != "applicationsyncrequest.capstan.dev/guestbook" {
		t.Errorf("kubectl create sync --dry-run=server -o name = %q", out)
	}
	if got := appField(t, ns, "{.operation}"); got != "" {
		t.Errorf("a server dry-run set the operation: %s", got)
	}

	body := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(body, []byte(`{"spec":{"prune":true}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out = kubectl(t, "create", "--raw", "/apis/capstan.dev/v1alpha1/namespaces/"+ns+"/applications/guestbook/sync", "-f", body)
	var accepted struct {
		Kind   string `json:"kind"`
		Status struct {
			Phase     string `json:"phase"`
			Operation struct {
				Sync struct {
					Prune    bool   `json:"prune"`
					Revision string `json:"revision"`
				} `json:"sync"`
			} `json:"operation"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &accepted); err != nil {
		t.Fatalf("decode the sync answer %q: %v", out, err)
	}
	if accepted.Kind != "ApplicationSyncRequest" || accepted.Status.Phase != "Running" || !accepted.Status.Operation.Sync.Prune ||
		accepted.Status.Operation.Sync.Revision != "main" {
		t.Errorf("sync answer = %+v, want an accepted ApplicationSyncRequest with prune at the target revision main", accepted)
	}

	// A second request while the operation runs is refused, through the plugin too.
	_, err := tryKubectl("create", "sync", "guestbook", "-n", ns)
	if err == nil || !strings.Contains(err.Error(), "another operation is already in progress") {
		t.Errorf("kubectl create sync during an operation: got %v, want a conflict", err)
	}

	// Terminate ends it; then the plugin can request a new sync.
	kubectlWithInput(t, "{}", "create", "--raw", "/apis/capstan.dev/v1alpha1/namespaces/"+ns+"/applications/guestbook/terminate", "-f", "-")
	eventually(t, syncTimeout, "the terminated operation to finish", func() (bool, error) {
		phase := appField(t, ns, "{.status.operationState.phase}")
		return appField(t, ns, "{.operation}") == "" && phase == "Failed", fmt.Errorf("phase %q", phase)
	})
	out = kubectl(t, "create", "sync", "guestbook", "-n", ns, "--prune", "--apply-only")
	if !strings.Contains(out, "sync requested") {
		t.Errorf("kubectl create sync printed %q, want 'sync requested'", out)
	}
	eventually(t, syncTimeout, "the sync requested by the plugin to succeed", func() (bool, error) {
		state := appField(t, ns, "{.status.operationState.phase}/{.status.operationState.operation.sync.prune}")
		return state == "Succeeded/true", fmt.Errorf("operation state %q", state)
	})
}

func TestDefaultProjectCannotBeDeleted(t *testing.T) {
	requireCapstanAPIServer(t)
	kubectl(t, "get", "appproject", "default")
	_, err := tryKubectl("delete", "appproject", "default")
	if err == nil || !strings.Contains(err.Error(), "cannot be deleted") {
		t.Errorf("kubectl delete appproject default: got %v, want it refused", err)
	}
}

func TestConvertPluginTurnsArgoCDManifestsIntoCapstanOnes(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	argo := strings.Replace(guestbookApp, "capstan.dev/v1alpha1", "argoproj.io/v1alpha1", 1)
	argo = strings.Replace(argo, "project: default", "project: "+ns, 1)
	cmd := exec.Command(filepath.Join(cluster.binDir, "kubectl-capstan"), "convert")
	cmd.Stdin = strings.NewReader(argo)
	converted, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl-capstan convert: %v", err)
	}
	kubectlWithInput(t, string(converted), "apply", "-n", ns, "-f", "-")
	kubectl(t, "get", "app", "guestbook", "-n", ns)
}

// dryRunInstall builds the kustomization dir of artifacts/deploy and applies
// it with a server-side dry run. The local plane registers capstan-apiserver
// itself (an ExternalName Service and an APIService with a caBundle), so the
// install's Service and APIService are checked under other names. It
// returns the built manifests and kubectl's output.
func dryRunInstall(t *testing.T, dir string) (built, out string) {
	t.Helper()
	built = kubectl(t, "kustomize", filepath.Join(cluster.rootDir, "artifacts", "deploy", dir))
	renamed := strings.NewReplacer(
		"name: v1alpha1.capstan.dev", "name: v1alpha1.check.capstan.dev",
		"group: capstan.dev", "group: check.capstan.dev",
		"kind: Service\nmetadata:\n  name: capstan-apiserver\n", "kind: Service\nmetadata:\n  name: capstan-apiserver-check\n",
	).Replace(built)
	return built, kubectlWithInput(t, renamed, "apply", "-f", "-", "--dry-run=server")
}

// requireMention fails the test when kubectl's output of a dry run does not
// mention want.
func requireMention(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Errorf("the install, dry-run applied, does not mention %s:\n%s", want, out)
	}
}

func TestDeployManifestsAreAcceptedByTheAPIServer(t *testing.T) {
	requireCapstanAPIServer(t)
	built, out := dryRunInstall(t, "")
	for _, want := range []string{
		"namespace/capstan-system",
		"statefulset.apps/capstan-apiserver",
		"service/capstan-apiserver-check",
		"apiservice.apiregistration.k8s.io/v1alpha1.check.capstan.dev",
		"clusterrole.rbac.authorization.k8s.io/capstan-edit",
		"role.rbac.authorization.k8s.io/capstan-apiserver-serving-ca",
		"clusterrole.rbac.authorization.k8s.io/capstan-apiserver-apiservice",
	} {
		requireMention(t, out, want)
	}
	// The server publishes its serving CA in the APIService: nothing skips verification.
	if strings.Contains(built, "insecureSkipTLSVerify") {
		t.Errorf("the install manifests still skip TLS verification:\n%s", built)
	}
	if !strings.Contains(built, "--serving-ca-secret=capstan-system/capstan-apiserver-serving-ca") {
		t.Errorf("the StatefulSet does not keep the serving CA in capstan-system/capstan-apiserver-serving-ca:\n%s", built)
	}
}

func TestTheHighlyAvailableInstallIsAcceptedByTheAPIServer(t *testing.T) {
	requireCapstanAPIServer(t)
	built, out := dryRunInstall(t, "ha")
	for _, want := range []string{
		"statefulset.apps/capstan-apiserver",
		"statefulset.apps/capstan-etcd",
		"service/capstan-etcd",
		"poddisruptionbudget.policy/capstan-apiserver",
		"poddisruptionbudget.policy/capstan-etcd",
		"apiservice.apiregistration.k8s.io/v1alpha1.check.capstan.dev",
	} {
		requireMention(t, out, want)
	}
	var statefulSet string
	for _, doc := range strings.Split(built, "\n---\n") {
		if strings.Contains(doc, "kind: StatefulSet\nmetadata:\n  labels:\n    app.kubernetes.io/name: capstan-apiserver\n") {
			statefulSet = doc
		}
	}
	for _, want := range []string{"replicas: 3\n", "--sharding", "--replica-name=$(POD_NAME)", "--etcd-servers=https://capstan-etcd-0.", "--etcd-certfile="} {
		if !strings.Contains(statefulSet, want) {
			t.Errorf("the HA StatefulSet of capstan-apiserver lacks %q: %s", want, statefulSet)
		}
	}
	if strings.Contains(statefulSet, "--data-dir") || strings.Contains(statefulSet, "volumeClaimTemplates") || strings.Contains(statefulSet, "storage") {
		t.Errorf("the HA replicas still have an embedded etcd's data: %s", statefulSet)
	}
	// The etcd cluster runs the release the repository builds and tests
	// (_output/bin/etcd, from the go.etcd.io/etcd version k8s.io/apiserver pins).
	versionOut, err := exec.Command(filepath.Join(cluster.binDir, "etcd"), "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("etcd --version: %v: %s", err, versionOut)
	}
	version := regexp.MustCompile(`etcd Version: (\S+)`).FindStringSubmatch(string(versionOut))
	if version == nil {
		t.Fatalf("etcd --version printed no version: %s", versionOut)
	}
	if want := "image: registry.k8s.io/etcd:" + version[1] + "-0\n"; !strings.Contains(built, want) {
		t.Errorf("the HA etcd StatefulSet does not run the etcd the repository builds (%s): no %q", version[1], want)
	}
}
