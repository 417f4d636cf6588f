package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// syncTimeout bounds a sync of a few objects on the fake nodes.
const syncTimeout = 2 * time.Minute

func automatedApplication(namespace, repoURL, path string, selfHeal bool) string {
	return guestbookApplication(namespace, repoURL, path) + fmt.Sprintf(`  syncPolicy:
    automated:
      prune: true
      selfHeal: %t
`, selfHeal)
}

func TestAutomatedSyncDeploysPrunesAndSelfHeals(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, automatedApplication(ns, repo.URL, "guestbook", true), "apply", "-f", "-")

	waitForAppState(t, ns, "Synced", "Healthy")
	if got := appField(t, ns, "{.status.operationState.phase}"); got != "Succeeded" {
		t.Errorf("operationState.phase = %q, want Succeeded", got)
	}
	if got := appField(t, ns, "{.status.history[*].id}"); strings.TrimSpace(got) == "" {
		t.Errorf("no history entry after a successful sync")
	}
	tracking := kubectl(t, "get", "configmap", "guestbook-config", "-n", ns, "-o", `jsonpath={.metadata.annotations.capstan\.dev/tracking-id}`)
	if tracking != ns+"_guestbook:/ConfigMap:"+ns+"/guestbook-config" {
		t.Errorf("tracking annotation = %q", tracking)
	}

	// Self-heal reverts a manual change.
	kubectl(t, "scale", "deployment", "guestbook-ui", "-n", ns, "--replicas=3")
	eventually(t, syncTimeout, "self-heal to revert the scale", func() (bool, error) {
		out, err := tryKubectl("get", "deployment", "guestbook-ui", "-n", ns, "-o", "jsonpath={.spec.replicas}")
		return err == nil && out == "1", fmt.Errorf("replicas %q, err %v", out, err)
	})

	// A new commit that drops the ConfigMap is synced and the ConfigMap pruned.
	withoutConfigMap := strings.SplitN(guestbookResources, "---\n", 2)[1]
	repo.commit(t, map[string]string{"guestbook/resources.yaml": withoutConfigMap}, "drop the config map")
	kubectl(t, "annotate", "app", "guestbook", "-n", ns, "argocd.argoproj.io/refresh=normal", "--overwrite")
	eventually(t, syncTimeout, "the ConfigMap to be pruned", func() (bool, error) {
		_, err := tryKubectl("get", "configmap", "guestbook-config", "-n", ns)
		return err != nil && strings.Contains(err.Error(), "NotFound"), err
	})
	waitForAppState(t, ns, "Synced", "Healthy")
}

func TestManualSyncRunsHooksInOrder(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	hooks := `apiVersion: batch/v1
kind: Job
metadata:
  name: pre-deploy-check
  annotations:
    argocd.argoproj.io/hook: PreSync
    argocd.argoproj.io/sync-wave: "-1"
spec:
  template:
    spec:
      containers:
      - name: check
        image: curlimages/curl
      restartPolicy: Never
---
apiVersion: batch/v1
kind: Job
metadata:
  name: switch-traffic
  annotations:
    argocd.argoproj.io/hook: PostSync
spec:
  template:
    spec:
      containers:
      - name: switch
        image: my-tool:latest
      restartPolicy: Never
`
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources, "guestbook/hooks.yaml": hooks})
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "guestbook"), "apply", "-f", "-")
	waitForAppState(t, ns, "OutOfSync", "Missing")

	kubectl(t, "create", "sync", "guestbook", "-n", ns)
	eventually(t, syncTimeout, "the sync to succeed", func() (bool, error) {
		phase := appField(t, ns, "{.status.operationState.phase}")
		if phase == "Failed" || phase == "Error" {
			t.Fatalf("sync %s: %s", phase, appField(t, ns, "{.status.operationState.message}"))
		}
		return phase == "Succeeded", fmt.Errorf("phase %q", phase)
	})
	waitForAppState(t, ns, "Synced", "Healthy")

	created := func(kind, name string) string {
		return kubectl(t, "get", kind, name, "-n", ns, "-o", "jsonpath={.metadata.creationTimestamp}")
	}
	pre, deploy, post := created("job", "pre-deploy-check"), created("deployment", "guestbook-ui"), created("job", "switch-traffic")
	if !(pre <= deploy && deploy <= post) {
		t.Errorf("creation order: PreSync %s, Deployment %s, PostSync %s", pre, deploy, post)
	}
	results := appField(t, ns, `{range .status.operationState.syncResult.resources[*]}{.kind}/{.name}:{.syncPhase}:{.status};{end}`)
	for _, want := range []string{"Job/pre-deploy-check:PreSync", "Deployment/guestbook-ui:Sync:Synced", "Job/switch-traffic:PostSync"} {
		if !strings.Contains(results, want) {
			t.Errorf("syncResult %q lacks %s", results, want)
		}
	}
}

func TestDeletingAnApplicationWithTheFinalizerDeletesItsObjects(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, withFinalizer(automatedApplication(ns, repo.URL, "guestbook", false), ns), "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")

	kubectl(t, "delete", "app", "guestbook", "-n", ns, "--wait=false")
	eventually(t, syncTimeout, "the Application and its objects to be deleted", func() (bool, error) {
		_, appErr := tryKubectl("get", "app", "guestbook", "-n", ns)
		objects, err := tryKubectl("get", "deployment,service,configmap", "-n", ns, "-l", "capstan.dev/instance", "-o", "name")
		return appErr != nil && err == nil && strings.TrimSpace(objects) == "", fmt.Errorf("application err %v; objects %q", appErr, objects)
	})
}

func TestDeletingAnApplicationWithoutTheFinalizerLeavesItsObjects(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, automatedApplication(ns, repo.URL, "guestbook", false), "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")

	kubectl(t, "delete", "app", "guestbook", "-n", ns)
	for _, object := range []string{"deployment/guestbook-ui", "service/guestbook-ui", "configmap/guestbook-config"} {
		kubectl(t, "get", object, "-n", ns)
	}
}

func TestACustomResourceDefinitionAndItsResourcesSyncInOneApplication(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	group := ns + ".e2e.capstan.dev"
	crd := fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.%[1]s
spec:
  group: %[1]s
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
---
apiVersion: %[1]s/v1
kind: Widget
metadata:
  name: gear
spec:
  teeth: 12
`, group)
	t.Cleanup(func() { _, _ = tryKubectl("delete", "crd", "widgets."+group, "--wait=false") })
	repo := newGitRepo(t, map[string]string{"widgets/all.yaml": crd})
	kubectlWithInput(t, automatedApplication(ns, repo.URL, "widgets", false), "apply", "-f", "-")

	waitForAppState(t, ns, "Synced", "Healthy")
	if teeth := kubectl(t, "get", "widgets."+group, "gear", "-n", ns, "-o", "jsonpath={.spec.teeth}"); teeth != "12" {
		t.Errorf("widget gear spec.teeth = %q, want 12", teeth)
	}
	resources := appField(t, ns, `{range .status.resources[*]}{.kind}:{.status};{end}`)
	for _, want := range []string{"CustomResourceDefinition:Synced", "Widget:Synced"} {
		if !strings.Contains(resources, want) {
			t.Errorf("status.resources %q lacks %s", resources, want)
		}
	}
}
