package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// Tenancy: what a user with only namespace rights can do through Capstan
// (issue 11). The users are impersonated by the admin kubeconfig
// (kubectl --as), as kube-apiserver authorizes them for real.

// asUser runs kubectl as user (impersonated) and returns stdout and the error.
func asUser(user, stdin string, args ...string) (string, error) {
	return runKubectl(stdin, append(args, "--as="+user)...)
}

// grant binds clusterRole to user in namespace and waits until RBAC, with the
// Capstan roles aggregated into it, lets the user verb resource (and
// subresource, when given).
func grant(t *testing.T, namespace, user, clusterRole, verb, resource, subresource string) {
	t.Helper()
	kubectl(t, "create", "rolebinding", user+"-"+clusterRole, "--clusterrole="+clusterRole, "--user="+user, "-n", namespace)
	canI := []string{"auth", "can-i", verb, resource, "-n", namespace, "--as=" + user}
	if subresource != "" {
		canI = append(canI, "--subresource="+subresource)
	}
	eventually(t, compareTimeout, fmt.Sprintf("%s to be allowed to %s %s/%s", user, verb, resource, subresource), func() (bool, error) {
		out, _ := tryKubectl(canI...)
		return strings.TrimSpace(out) == "yes", fmt.Errorf("can-i %s %s/%s: %q", verb, resource, subresource, out)
	})
}

// createTeamNamespace creates a namespace and the project a cluster
// administrator would give its team: Applications in that namespace only,
// any repository, deploying into that namespace of this cluster only, and no
// cluster-scoped kinds.
func createTeamNamespace(t *testing.T) string {
	t.Helper()
	ns := createNamespace(t)
	createProject(t, ns, `  sourceRepos: ["*"]
  destinations: [{server: https://kubernetes.default.svc, namespace: `+ns+`}]
`)
	return ns
}

// teamApplication is an Application of namespace in project namespace.
func teamApplication(name, namespace, project, repoURL, path, destination string, automated bool) string {
	app := fmt.Sprintf(`apiVersion: capstan.dev/v1alpha1
kind: Application
metadata:
  name: %s
  namespace: %s
spec:
  project: %s
  source:
    repoURL: %s
    targetRevision: main
    path: %s
  destination:
    server: https://kubernetes.default.svc
    namespace: %s
`, name, namespace, project, repoURL, path, destination)
	if automated {
		app += "  syncPolicy:\n    automated: {prune: true}\n"
	}
	return app
}

func expectRefused(t *testing.T, out string, err error, what string, phrases ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s was accepted:\n%s", what, out)
	}
	for _, phrase := range phrases {
		if !strings.Contains(err.Error(), phrase) {
			t.Errorf("%s was refused without naming %q: %v", what, phrase, err)
		}
	}
}

func TestANamespaceEditorCannotReachBeyondTheirNamespaceAndProject(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createTeamNamespace(t)
	grant(t, ns, "alice", "edit", "create", "applications.capstan.dev", "sync")
	admin := "e2e-" + ns
	repo := newGitRepo(t, map[string]string{
		"escalate/binding.yaml": fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: %s
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
`, admin),
		"escalate/elsewhere.yaml": fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: kube-system\n", admin),
		"escalate/own.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: own\n",
	})
	t.Cleanup(func() {
		_, _ = tryKubectl("delete", "clusterrolebinding", admin, "--ignore-not-found")
		_, _ = tryKubectl("delete", "configmap", admin, "-n", "kube-system", "--ignore-not-found")
	})

	// The default project allows everything, but not from alice's namespace.
	out, err := asUser("alice", teamApplication("escalate", ns, "default", repo.URL, "escalate", "kube-system", true), "apply", "-f", "-")
	expectRefused(t, out, err, "an Application of project default in a team namespace", "Forbidden", "sourceNamespaces", "may not use project default")
	// Her own project does not deploy into kube-system.
	out, err = asUser("alice", teamApplication("escalate", ns, ns, repo.URL, "escalate", "kube-system", true), "apply", "-f", "-")
	expectRefused(t, out, err, "an Application deploying into kube-system", "Forbidden", "destinations")
	// Nor can an ApplicationSet of hers generate into the default project.
	appSet := fmt.Sprintf(`apiVersion: capstan.dev/v1alpha1
kind: ApplicationSet
metadata:
  name: escalate
  namespace: %s
spec:
  goTemplate: true
  generators: [{list: {elements: [{name: one}]}}]
  template:
    metadata: {name: "escalate-{{.name}}"}
    spec:
      project: default
      source: {repoURL: %s, targetRevision: main, path: escalate}
      destination: {server: "https://kubernetes.default.svc", namespace: "{{.name}}"}
`, ns, repo.URL)
	out, err = asUser("alice", appSet, "apply", "-f", "-")
	expectRefused(t, out, err, "an ApplicationSet of project default in a team namespace", "Forbidden", "sourceNamespaces")
	if apps := kubectl(t, "get", "applications,applicationsets", "-n", ns, "-o", "name"); strings.TrimSpace(apps) != "" {
		t.Fatalf("refused Applications were stored: %s", apps)
	}

	// Into her namespace it is admitted; the objects outside it are refused and
	// the sync applies nothing.
	if out, err := asUser("alice", teamApplication("escalate", ns, ns, repo.URL, "escalate", ns, false), "apply", "-f", "-"); err != nil {
		t.Fatalf("an Application within the project was refused: %v\n%s", err, out)
	}
	eventually(t, syncTimeout, "the refused resources to be reported", func() (bool, error) {
		out, _ := tryKubectl("get", "app", "escalate", "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="InvalidSpecError")].message}`)
		return strings.Contains(out, "ClusterRoleBinding is not permitted") && strings.Contains(out, "namespace kube-system is not permitted"),
			fmt.Errorf("InvalidSpecError %q", out)
	})
	if out, err := asUser("alice", "{}", "create", "--raw", "/apis/capstan.dev/v1alpha1/namespaces/"+ns+"/applications/escalate/sync", "-f", "-"); err != nil {
		t.Fatalf("alice's sync was refused: %v\n%s", err, out)
	}
	eventually(t, syncTimeout, "the refused sync to fail", func() (bool, error) {
		phase, _ := tryKubectl("get", "app", "escalate", "-n", ns, "-o", "jsonpath={.status.operationState.phase}")
		return phase == "Failed", fmt.Errorf("operation phase %q", phase)
	})
	if _, err := tryKubectl("get", "clusterrolebinding", admin); err == nil {
		t.Errorf("the ClusterRoleBinding of the repository was created")
	}
	if _, err := tryKubectl("get", "configmap", admin, "-n", "kube-system"); err == nil {
		t.Errorf("the kube-system ConfigMap of the repository was created")
	}
	if can, _ := tryKubectl("auth", "can-i", "create", "clusterrolebindings", "--as=alice"); strings.TrimSpace(can) != "no" {
		t.Errorf("kubectl auth can-i create clusterrolebindings --as=alice = %q, want no", can)
	}
	if _, err := tryKubectl("get", "applications", "-A"); err != nil {
		t.Errorf("the server stopped serving: %v", err)
	}
}

func TestWritingAnOperationNeedsTheRightToSync(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createTeamNamespace(t)
	kubectl(t, "create", "role", "app-writer", "-n", ns, "--verb=get,list,watch,update,patch", "--resource=applications.capstan.dev")
	kubectl(t, "create", "rolebinding", "bob-app-writer", "--role=app-writer", "--user=bob", "-n", ns)
	grant(t, ns, "alice", "edit", "create", "applications.capstan.dev", "sync")
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "guestbook"), "apply", "-f", "-")
	waitForAppState(t, ns, "OutOfSync", "Missing")

	eventually(t, compareTimeout, "bob to be allowed to patch Applications", func() (bool, error) {
		out, _ := tryKubectl("auth", "can-i", "patch", "applications.capstan.dev", "-n", ns, "--as=bob")
		return strings.TrimSpace(out) == "yes", fmt.Errorf("can-i: %q", out)
	})
	out, err := asUser("bob", "", "patch", "app", "guestbook", "-n", ns, "--type=merge", "-p", `{"operation":{"sync":{}}}`)
	expectRefused(t, out, err, "bob's operation", "Forbidden", `user "bob" may not create applications/sync`)
	if op := appField(t, ns, "{.operation}{.status.operationState.phase}"); op != "" {
		t.Fatalf("bob's patch started a sync: %s", op)
	}

	// alice may sync; the server records her, whatever the body says.
	forged := `{"operation":{"sync":{},"initiatedBy":{"username":"mallory","automated":true}}}`
	if out, err := asUser("alice", "", "patch", "app", "guestbook", "-n", ns, "--type=merge", "-p", forged); err != nil {
		t.Fatalf("alice's operation was refused: %v\n%s", err, out)
	}
	eventually(t, syncTimeout, "alice's sync to run", func() (bool, error) {
		who := appField(t, ns, "{.status.operationState.operation.initiatedBy.username}/{.status.operationState.operation.initiatedBy.automated}")
		return who == "alice/", fmt.Errorf("initiatedBy %q", who)
	})
}

func TestDiffShowsOnlyWhatTheCallerMayReadAndNeverASecret(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createTeamNamespace(t)
	const password = "e2e-password-hunter2"
	encoded := base64.StdEncoding.EncodeToString([]byte(password))
	repo := newGitRepo(t, map[string]string{
		"app/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: " + password + "\n",
		"app/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n",
	})
	kubectlWithInput(t, teamApplication("guestbook", ns, ns, repo.URL, "app", ns, true), "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")
	grant(t, ns, "carol", "view", "get", "applications.capstan.dev", "diff")
	grant(t, ns, "alice", "edit", "create", "applications.capstan.dev", "diff")
	diffPath := "/apis/capstan.dev/v1alpha1/namespaces/" + ns + "/applications/guestbook/diff"

	type item struct {
		Kind    string          `json:"kind"`
		Live    json.RawMessage `json:"live"`
		Message string          `json:"message"`
	}
	readDiff := func(user string) map[string]item {
		t.Helper()
		out, err := asUser(user, "", "get", "--raw", diffPath)
		if err != nil {
			t.Fatalf("GET diff as %s: %v", user, err)
		}
		if strings.Contains(out, password) || strings.Contains(out, encoded) {
			t.Fatalf("the diff shown to %s holds the Secret's value:\n%s", user, out)
		}
		var diff struct{ Items []item }
		if err := json.Unmarshal([]byte(out), &diff); err != nil {
			t.Fatal(err)
		}
		byKind := map[string]item{}
		for _, i := range diff.Items {
			byKind[i.Kind] = i
		}
		return byKind
	}
	// carol (view) may not read Secrets: the live Secret is not shown to her.
	forCarol := readDiff("carol")
	if secret := forCarol["Secret"]; len(secret.Live) != 0 || !strings.Contains(secret.Message, "not shown") {
		t.Errorf("carol's Secret item: live %s, message %q; want no live object and the reason", secret.Live, secret.Message)
	}
	if len(forCarol["ConfigMap"].Live) == 0 {
		t.Errorf("carol does not see the live ConfigMap she may read")
	}
	// alice (edit) may: she sees it, masked.
	if secret := readDiff("alice")["Secret"]; len(secret.Live) == 0 || !strings.Contains(string(secret.Live), "++++++++") {
		t.Errorf("alice's Secret item: live %s, want the masked live Secret", secret.Live)
	}

	// POST bodies of create --raw are JSON.
	postCandidate := func(manifest string) (string, error) {
		t.Helper()
		body, err := yaml.YAMLToJSON([]byte(manifest))
		if err != nil {
			t.Fatal(err)
		}
		return asUser("alice", string(body), "create", "--raw", diffPath, "-f", "-")
	}
	// A candidate cannot switch masking off with ignoreDifferences.
	candidate := strings.TrimSuffix(teamApplication("guestbook", ns, ns, repo.URL, "app", ns, false), "\n") +
		"\n  ignoreDifferences:\n  - kind: Secret\n    jsonPointers: [/kind]\n"
	out, err := postCandidate(candidate)
	expectRefused(t, out, err, "a candidate ignoring /kind", "jsonPointers", "must not name")
	// Nor compare objects of kube-system, or use a project that does not accept it.
	out, err = postCandidate(teamApplication("guestbook", ns, ns, repo.URL, "app", "kube-system", false))
	expectRefused(t, out, err, "a candidate deploying into kube-system", "destinations")
	out, err = postCandidate(teamApplication("guestbook", ns, "default", repo.URL, "app", "kube-system", false))
	expectRefused(t, out, err, "a candidate of project default", "sourceNamespaces")
	// GET manifests masks the Secret too.
	manifests, err := asUser("carol", "", "get", "--raw", "/apis/capstan.dev/v1alpha1/namespaces/"+ns+"/applications/guestbook/manifests")
	if err != nil || strings.Contains(manifests, password) || strings.Contains(manifests, encoded) {
		t.Errorf("manifests as carol: %v; the Secret's value shown: %t", err, strings.Contains(manifests, encoded))
	}
}

func TestDeletingAnApplicationLeavesWhatItDoesNotOwn(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createTeamNamespace(t)
	victim := "victim-" + ns
	kubectl(t, "create", "namespace", victim)
	t.Cleanup(func() { _, _ = tryKubectl("delete", "namespace", victim, "--wait=false") })
	repo := newGitRepo(t, map[string]string{"app/objects.yaml": fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: %s
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: shared
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: own
`, victim)})
	// "shared" is another Application's; "own" was synced by this one.
	tracked := func(app, name string) string {
		return fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: %[2]s
  namespace: %[3]s
  labels: {capstan.dev/instance: %[3]s_%[1]s}
  annotations: {capstan.dev/tracking-id: "%[3]s_%[1]s:/ConfigMap:%[3]s/%[2]s"}
`, app, name, ns)
	}
	kubectlWithInput(t, tracked("other", "shared")+"---\n"+tracked("guestbook", "own"), "apply", "-f", "-")
	kubectlWithInput(t, withFinalizer(teamApplication("guestbook", ns, ns, repo.URL, "app", ns, false), ns), "apply", "-f", "-")
	eventually(t, compareTimeout, "the project's refusal of the Namespace and the shared ConfigMap's warning", func() (bool, error) {
		out := appField(t, ns, `{range .status.conditions[*]}{.type}: {.message}{"\n"}{end}`)
		return strings.Contains(out, "resource :Namespace is not permitted") && strings.Contains(out, "SharedResourceWarning"), fmt.Errorf("conditions %q", out)
	})

	kubectl(t, "delete", "app", "guestbook", "-n", ns, "--wait=false")
	eventually(t, syncTimeout, "the Application and the object it owns to be deleted", func() (bool, error) {
		_, appErr := tryKubectl("get", "app", "guestbook", "-n", ns)
		_, ownErr := tryKubectl("get", "configmap", "own", "-n", ns)
		return appErr != nil && ownErr != nil, fmt.Errorf("application: %v; own: %v", appErr, ownErr)
	})
	if phase, err := tryKubectl("get", "namespace", victim, "-o", "jsonpath={.status.phase}"); err != nil || phase != "Active" {
		t.Errorf("the Namespace the project refuses was deleted: %q, %v", phase, err)
	}
	if _, err := tryKubectl("get", "configmap", "shared", "-n", ns); err != nil {
		t.Errorf("the ConfigMap tracked to another Application was deleted: %v", err)
	}
}

func TestSyncImpersonationActsAsTheProjectsServiceAccount(t *testing.T) {
	requireCapstanAPIServer(t)
	restartCapstanAPIServer(t, "--sync-impersonation")
	t.Cleanup(func() { restartCapstanAPIServer(t) })
	ns := createNamespace(t)
	clusterRole := "e2e-" + ns
	kubectl(t, "create", "serviceaccount", "deployer", "-n", ns)
	kubectl(t, "create", "rolebinding", "deployer-edit", "--clusterrole=edit", "--serviceaccount="+ns+":deployer", "-n", ns)
	// The project permits ClusterRoles; the ServiceAccount may not create them.
	createProject(t, ns, `  sourceRepos: ["*"]
  destinations: [{server: "*", namespace: `+ns+`}]
  clusterResourceWhitelist: [{group: rbac.authorization.k8s.io, kind: ClusterRole}]
  destinationServiceAccounts: [{server: https://kubernetes.default.svc, namespace: `+ns+`, defaultServiceAccount: deployer}]
`)
	repo := newGitRepo(t, map[string]string{
		"allowed/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
		"beyond/role.yaml": fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: %s
rules: []
`, clusterRole),
	})
	t.Cleanup(func() { _, _ = tryKubectl("delete", "clusterrole", clusterRole, "--ignore-not-found") })

	syncNow := func() {
		t.Helper()
		eventually(t, compareTimeout, "no operation to run", func() (bool, error) {
			op := appField(t, ns, "{.operation}")
			return op == "", fmt.Errorf("operation %s", op)
		})
		kubectl(t, "create", "sync", "guestbook", "-n", ns)
	}
	kubectlWithInput(t, teamApplication("guestbook", ns, ns, repo.URL, "allowed", ns, false), "apply", "-f", "-")
	waitForAppState(t, ns, "OutOfSync", "Missing")
	syncNow()
	waitForAppState(t, ns, "Synced", "Healthy")

	kubectl(t, "patch", "app", "guestbook", "-n", ns, "--type=merge", "-p", `{"spec":{"source":{"path":"beyond"}}}`)
	eventually(t, compareTimeout, "the ClusterRole to be OutOfSync", func() (bool, error) {
		resources := appField(t, ns, `{range .status.resources[*]}{.kind}:{.status};{end}`)
		return strings.Contains(resources, "ClusterRole:OutOfSync"), fmt.Errorf("resources %q", resources)
	})
	syncNow()
	eventually(t, syncTimeout, "the sync beyond the ServiceAccount's rights to fail", func() (bool, error) {
		message := appField(t, ns, "{.status.operationState.phase}: {.status.operationState.message}")
		return strings.HasPrefix(message, "Failed") && strings.Contains(message, "system:serviceaccount:"+ns+":deployer"),
			fmt.Errorf("operation %q", message)
	})
	if _, err := tryKubectl("get", "clusterrole", clusterRole); err == nil {
		t.Errorf("the ClusterRole was created with Capstan's own rights")
	}

	// Without a ServiceAccount for the destination nothing is synced.
	kubectl(t, "patch", "appproject", ns, "--type=merge", "-p", `{"spec":{"destinationServiceAccounts":[{"server":"*","namespace":"elsewhere","defaultServiceAccount":"deployer"}]}}`)
	kubectl(t, "patch", "app", "guestbook", "-n", ns, "--type=merge", "-p", `{"spec":{"source":{"path":"allowed"}}}`)
	started := time.Now()
	syncNow()
	eventually(t, syncTimeout, "the sync without a ServiceAccount to fail", func() (bool, error) {
		// Comparisons impersonate too, so the operation ends before applying (Error).
		message := appField(t, ns, "{.status.operationState.phase}: {.status.operationState.message}")
		return (strings.HasPrefix(message, "Error") || strings.HasPrefix(message, "Failed")) && strings.Contains(message, "no matching service account"),
			fmt.Errorf("operation %q (%s after the sync)", message, time.Since(started).Round(time.Second))
	})
}

// An ApplicationSet of a team namespace may not scan AWS CodeCommit as the
// server's own AWS identity (Argo CD's only identity): its generator stops
// with an error naming credentialsSecretName, before any AWS request, and a
// region that would become another endpoint's host is refused at admission.
func TestATeamsAWSCodeCommitGeneratorCannotActAsTheServer(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createTeamNamespace(t)
	grant(t, ns, "alice", "edit", "create", "applicationsets.capstan.dev", "")
	spec := func(codeCommit string) string {
		return applicationSet("codecommit", ns, `  generators:
  - scmProvider:
      awsCodeCommit: `+codeCommit+`
  template:
    metadata: {name: '{{.repository}}'}
    spec:
      project: `+ns+`
      source: {repoURL: '{{.url}}', targetRevision: '{{.branch}}', path: deploy}
      destination: {server: https://kubernetes.default.svc, namespace: `+ns+`}
`)
	}

	out, err := asUser("alice", spec(`{region: "evil.example/#"}`), "apply", "-f", "-")
	expectRefused(t, out, err, "an awsCodeCommit region that is not a region name", "spec.generators[0].scmProvider.awsCodeCommit.region")

	if out, err := asUser("alice", spec(`{region: us-east-1}`), "apply", "-f", "-"); err != nil {
		t.Fatalf("alice's ApplicationSet was refused: %v\n%s", err, out)
	}
	waitForAppSetCondition(t, ns, "codecommit", "ErrorOccurred",
		"the server's own AWS identity serves only ApplicationSets of the control namespaces")
	if got := appSetCondition(ns, "codecommit", "ErrorOccurred"); !strings.Contains(got, "set credentialsSecretName to a Secret of namespace "+ns) {
		t.Errorf("the condition does not say what to do instead: %q", got)
	}
	if apps, err := applications(ns); err != nil || len(apps) != 0 {
		t.Errorf("Applications %v (%v), want none", apps, err)
	}
}
