package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// argoChild is an Argo CD child Application of an app of apps, as
// argocd-example-apps writes them.
func argoChild(namespace, name, repoURL, path string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %[2]s
  namespace: %[1]s
  finalizers: [resources-finalizer.argocd.argoproj.io]
spec:
  project: %[1]s
  source:
    repoURL: %[3]s
    targetRevision: main
    path: %[4]s
  destination:
    server: https://kubernetes.default.svc
    namespace: %[1]s
  syncPolicy:
    automated: {prune: true}
`, namespace, name, repoURL, path)
}

func TestAParentRenderingArgoprojApplicationsCreatesSyncsAndPrunesCapstanChildren(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{
		"guestbook/resources.yaml": guestbookResources,
		"extra/configmap.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: b\n",
	})
	children := func(names ...string) string {
		paths := map[string]string{"child-guestbook": "guestbook", "child-extra": "extra"}
		var docs []string
		for _, name := range names {
			docs = append(docs, argoChild(ns, name, repo.URL, paths[name]))
		}
		return strings.Join(docs, "---\n")
	}
	repo.commit(t, map[string]string{"apps/children.yaml": children("child-guestbook", "child-extra")}, "children")
	parent := strings.Replace(guestbookApplication(ns, repo.URL, "apps"), "name: guestbook", "name: parent", 1) +
		"  syncPolicy:\n    automated: {prune: true}\n"
	kubectlWithInput(t, parent, "apply", "-f", "-")

	waitForHealthy(t, ns, "parent", "child-guestbook", "child-extra")
	kinds := kubectl(t, "get", "app", "parent", "-n", ns, "-o", "jsonpath={range .status.resources[*]}{.group}/{.kind}/{.name} {end}")
	for _, want := range []string{"capstan.dev/Application/child-guestbook", "capstan.dev/Application/child-extra"} {
		if !strings.Contains(kinds, want) {
			t.Errorf("the parent's resources %q lack %s", kinds, want)
		}
	}
	kubectl(t, "get", "configmap", "extra", "-n", ns)

	// A child removed from the repository is pruned, and its own resources with it.
	repo.commit(t, map[string]string{"apps/children.yaml": children("child-guestbook")}, "one child less")
	kubectl(t, "annotate", "app", "parent", "-n", ns, "argocd.argoproj.io/refresh=normal", "--overwrite")
	eventually(t, syncTimeout, "child-extra and its ConfigMap to be pruned", func() (bool, error) {
		apps, err := applications(ns)
		_, cmErr := tryKubectl("get", "configmap", "extra", "-n", ns)
		return strings.Join(apps, " ") == "child-guestbook parent" && cmErr != nil,
			fmt.Errorf("Applications %v (%v), ConfigMap extra: %v", apps, err, cmErr)
	})
	waitForHealthy(t, ns, "parent", "child-guestbook")
}
