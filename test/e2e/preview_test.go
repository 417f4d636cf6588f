package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestDiffPreviewOfACandidateApplication(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{
		"guestbook/resources.yaml":    guestbookResources,
		"guestbook-v2/resources.yaml": strings.Replace(guestbookResources, "greeting: hello", "greeting: hola", 1),
	})
	app := guestbookApplication(ns, repo.URL, "guestbook")
	kubectlWithInput(t, app, "apply", "-f", "-")
	kubectlWithInput(t, trackedResources(ns), "apply", "--server-side", "--field-manager=capstan", "-n", ns, "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")

	// The candidate renders guestbook-v2; the stored Application keeps rendering guestbook.
	candidate, err := yaml.YAMLToJSON([]byte(strings.Replace(app, "path: guestbook\n", "path: guestbook-v2\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	body := filepath.Join(t.TempDir(), "candidate.json")
	if err := os.WriteFile(body, candidate, 0o600); err != nil {
		t.Fatal(err)
	}
	out := kubectl(t, "create", "--raw", "/apis/capstan.dev/v1alpha1/namespaces/"+ns+"/applications/guestbook/diff", "-f", body)
	for _, want := range []string{`"kind":"ApplicationDiff"`, `-  greeting: hello\n+  greeting: hola`} {
		if !strings.Contains(out, want) {
			t.Errorf("the candidate's diff lacks %s:\n%s", want, out)
		}
	}
	if got := appField(t, ns, "{.spec.source.path}/{.status.sync.status}"); got != "guestbook/Synced" {
		t.Errorf("after the preview the Application is %q, want it unchanged (guestbook/Synced)", got)
	}
	if got := appField(t, ns, "{.status.summary.images}"); !strings.Contains(got, "gcr.io/heptio-images/ks-guestbook-demo:0.2") {
		t.Errorf("status.summary.images = %s, want the Deployment's image", got)
	}
}

func TestWarningsForSharedAndOrphanedResources(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	project := "orphans-" + ns
	kubectlWithInput(t, fmt.Sprintf(`apiVersion: capstan.dev/v1alpha1
kind: AppProject
metadata:
  name: %s
spec:
  sourceNamespaces: [%[2]s]
  sourceRepos: ["*"]
  destinations: [{server: "*", namespace: "*"}]
  orphanedResources:
    # The Applications live in the namespace they deploy to: as in Argo CD
    # they would count as orphans themselves.
    ignore: [{group: capstan.dev, kind: Application}]
`, project, ns), "apply", "-f", "-")
	t.Cleanup(func() { _, _ = tryKubectl("delete", "appproject", project, "--wait=false") })
	app := inProject(guestbookApplication(ns, repo.URL, "guestbook"), ns, project)
	kubectlWithInput(t, app, "apply", "-f", "-")
	kubectlWithInput(t, trackedResources(ns), "apply", "--server-side", "--field-manager=capstan", "-n", ns, "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")
	conditions := func(app string) string {
		out, _ := tryKubectl("get", "app", app, "-n", ns, "-o", `jsonpath={range .status.conditions[*]}{.type}: {.message}{"\n"}{end}`)
		return out
	}
	if got := conditions("guestbook"); got != "" {
		t.Errorf("conditions before any orphan = %q, want none (defaults like kube-root-ca.crt are not orphans)", got)
	}

	// An unmanaged ConfigMap is reported at the next refresh.
	kubectl(t, "create", "configmap", "stray", "-n", ns)
	kubectl(t, "annotate", "app", "guestbook", "-n", ns, "argocd.argoproj.io/refresh=normal")
	eventually(t, compareTimeout, "the orphaned ConfigMap to be reported", func() (bool, error) {
		got := conditions("guestbook")
		return got == "OrphanedResourceWarning: Application has 1 orphaned resources\n", fmt.Errorf("conditions %q", got)
	})

	// Ignoring ConfigMaps in the project clears the warning.
	kubectl(t, "patch", "appproject", project, "--type", "merge", "-p", `{"spec":{"orphanedResources":{"ignore":[{"group":"capstan.dev","kind":"Application"},{"kind":"ConfigMap"}]}}}`)
	eventually(t, compareTimeout, "the warning to clear once ConfigMaps are ignored", func() (bool, error) {
		got := conditions("guestbook")
		return got == "", fmt.Errorf("conditions %q", got)
	})

	// A second Application over the same objects sees them tracked by the first.
	other := strings.Replace(guestbookApplication(ns, repo.URL, "guestbook"), "  name: guestbook\n", "  name: other\n", 1)
	kubectlWithInput(t, other, "apply", "-f", "-")
	want := fmt.Sprintf("SharedResourceWarning: ConfigMap/guestbook-config is part of applications %[1]s/other and %[1]s/guestbook", ns)
	eventually(t, compareTimeout, "a SharedResourceWarning on the second Application", func() (bool, error) {
		got := conditions("other")
		return strings.Contains(got, want), fmt.Errorf("conditions %q", got)
	})
}
