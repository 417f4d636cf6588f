package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// inProject puts an Application of the tests (guestbookApplication,
// automatedApplication), which use their namespace's project, in project.
func inProject(app, namespace, project string) string {
	return strings.Replace(app, "project: "+namespace+"\n", "project: "+project+"\n", 1)
}

// createProject applies the AppProject name with spec (indented YAML). Every
// test namespace has a project of its own name (createNamespace); unless spec
// says otherwise, a project accepts Applications in the namespace of its own
// name, as Capstan's tenancy rules require outside the control namespaces.
func createProject(t *testing.T, name, spec string) {
	t.Helper()
	if !strings.Contains(spec, "sourceNamespaces:") {
		spec += "  sourceNamespaces: [" + name + "]\n"
	}
	kubectlWithInput(t, fmt.Sprintf("apiVersion: capstan.dev/v1alpha1\nkind: AppProject\nmetadata:\n  name: %s\nspec:\n%s", name, spec), "apply", "-f", "-")
	t.Cleanup(func() { _, _ = tryKubectl("delete", "appproject", name, "--wait=false") })
}

func TestAProjectRefusesRepositoriesDestinationsAndKinds(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})

	// A repository the project no longer lists: admission let the
	// Application in, and every comparison checks the project again.
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "guestbook"), "apply", "-f", "-")
	createProject(t, ns, `  sourceRepos: ["https://git.example.com/*"]
  destinations: [{server: "*", namespace: "*"}]
`)
	eventually(t, compareTimeout, "an InvalidSpecError naming the repository", func() (bool, error) {
		message := appField(t, ns, `{.status.conditions[?(@.type=="InvalidSpecError")].message}`)
		return strings.Contains(message, "is not permitted in project"), fmt.Errorf("InvalidSpecError %q", message)
	})

	// A kind the project refuses: the ConfigMap is Unknown and a sync applies nothing.
	createProject(t, ns, `  sourceRepos: ["*"]
  destinations: [{server: "*", namespace: "*"}]
  namespaceResourceBlacklist: [{group: "", kind: ConfigMap}]
`)
	eventually(t, compareTimeout, "the refused ConfigMap to be Unknown", func() (bool, error) {
		resources := appField(t, ns, `{range .status.resources[*]}{.kind}:{.status};{end}`)
		return strings.Contains(resources, "ConfigMap:Unknown"), fmt.Errorf("resources %q", resources)
	})
	if message := appField(t, ns, `{.status.conditions[?(@.type=="InvalidSpecError")].message}`); !strings.Contains(message, "resource :ConfigMap is not permitted") {
		t.Errorf("InvalidSpecError = %q, want one naming the ConfigMap kind", message)
	}
	kubectl(t, "create", "sync", "guestbook", "-n", ns)
	eventually(t, syncTimeout, "the sync to fail", func() (bool, error) {
		phase := appField(t, ns, "{.status.operationState.phase}")
		return phase == "Failed", fmt.Errorf("phase %q", phase)
	})
	if message := appField(t, ns, "{.status.operationState.message}"); !strings.Contains(message, "not permitted in project") {
		t.Errorf("operation message %q does not name the refusal", message)
	}
	if objects := kubectl(t, "get", "deployment,service,configmap", "-n", ns, "-l", "capstan.dev/instance", "-o", "name"); strings.TrimSpace(objects) != "" {
		t.Errorf("a refused sync applied objects: %s", objects)
	}

	// A project that does not exist.
	kubectl(t, "patch", "app", "guestbook", "-n", ns, "--type=merge", "-p", `{"spec":{"project":"no-such-project"}}`)
	eventually(t, compareTimeout, "an InvalidSpecError for the missing project", func() (bool, error) {
		message := appField(t, ns, `{.status.conditions[?(@.type=="InvalidSpecError")].message}`)
		return strings.Contains(message, "which does not exist"), fmt.Errorf("InvalidSpecError %q", message)
	})
}
