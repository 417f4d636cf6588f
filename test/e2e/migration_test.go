package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// deployAsArgoCDDid creates guestbookResources as a running Argo CD (or a
// person) left them: the ConfigMap client-side applied with Argo CD's label
// tracking, the Deployment server-side applied by Argo CD's field manager with
// its annotation tracking, the Service created by hand without any.
func deployAsArgoCDDid(t *testing.T, namespace string) {
	t.Helper()
	docs := strings.Split(guestbookResources, "---\n")
	configMap := strings.Replace(docs[0], "metadata:\n", "metadata:\n  labels:\n    app.kubernetes.io/instance: guestbook\n", 1)
	deployment := strings.Replace(docs[2], "metadata:\n", fmt.Sprintf(
		"metadata:\n  labels:\n    app.kubernetes.io/instance: guestbook\n  annotations:\n    argocd.argoproj.io/tracking-id: guestbook:apps/Deployment:%s/guestbook-ui\n", namespace), 1)
	kubectlWithInput(t, configMap, "apply", "-n", namespace, "-f", "-")
	kubectlWithInput(t, deployment, "apply", "--server-side", "--field-manager=argocd-controller", "-n", namespace, "-f", "-")
	kubectlWithInput(t, docs[1], "create", "-n", namespace, "-f", "-")
}

// guestbookUIDs returns the UIDs of the three guestbook objects.
func guestbookUIDs(t *testing.T, namespace string) string {
	t.Helper()
	return kubectl(t, "get", "configmap/guestbook-config", "service/guestbook-ui", "deployment/guestbook-ui", "-n", namespace,
		"-o", `jsonpath={range .items[*]}{.kind}={.metadata.uid};{end}`)
}

func TestTakingOverFromArgoCDAdoptsObjectsWithoutRecreatingThem(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	deployAsArgoCDDid(t, ns)
	uids := guestbookUIDs(t, ns)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "guestbook"), "apply", "-f", "-")

	// The objects are adopted by key: the Application is Synced at once, and
	// the diff subresource agrees with its status.
	waitForAppState(t, ns, "Synced", "Healthy")
	table := kubectl(t, "get", "app", "guestbook", "-n", ns, "--subresource=diff", "--no-headers")
	if rows := strings.Count(table, " Synced "); rows != 3 || strings.Contains(table, "Missing") {
		t.Errorf("kubectl get app --subresource=diff of adopted objects:\n%s", table)
	}

	// A live edit makes it OutOfSync, and the diff shows the edit.
	kubectl(t, "patch", "configmap", "guestbook-config", "-n", ns, "--type", "merge", "-p", `{"data":{"greeting":"changed"}}`)
	kubectl(t, "annotate", "app", "guestbook", "-n", ns, "argocd.argoproj.io/refresh=hard", "--overwrite")
	waitForAppState(t, ns, "OutOfSync", "Healthy")
	raw := kubectl(t, "get", "--raw", "/apis/capstan.dev/v1alpha1/namespaces/"+ns+"/applications/guestbook/diff")
	if !strings.Contains(raw, `-  greeting: changed\n+  greeting: hello`) || strings.Contains(raw, `"status":"Missing"`) {
		t.Errorf("the diff of an adopted, edited object:\n%s", raw)
	}

	// The first sync writes Capstan's tracking in place of Argo CD's, on the same objects.
	kubectl(t, "create", "sync", "guestbook", "-n", ns)
	waitForAppState(t, ns, "Synced", "Healthy")
	if after := guestbookUIDs(t, ns); after != uids {
		t.Errorf("the sync re-created objects: UIDs before %s, after %s", uids, after)
	}
	for _, object := range []string{"configmap/guestbook-config", "service/guestbook-ui", "deployment/guestbook-ui"} {
		metadata := kubectl(t, "get", object, "-n", ns, "-o", `jsonpath={.metadata.labels}{" "}{.metadata.annotations}`)
		if !strings.Contains(metadata, `"capstan.dev/tracking-id":"`+ns+`_guestbook:`) || !strings.Contains(metadata, `"capstan.dev/instance":"`+ns+`_guestbook"`) {
			t.Errorf("%s is not tracked by Capstan after the sync: %s", object, metadata)
		}
		if strings.Contains(metadata, "argocd.argoproj.io/tracking-id") || strings.Contains(metadata, "app.kubernetes.io/instance") {
			t.Errorf("%s keeps Argo CD's tracking after the sync: %s", object, metadata)
		}
	}
}

func TestObjectsDeployedAfterTheApplicationAreAdoptedByAHardRefreshAndTheDiffAgrees(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "guestbook"), "apply", "-f", "-")
	waitForAppState(t, ns, "OutOfSync", "Missing")

	// Deployed by someone else after the comparison found nothing: a hard
	// refresh looks again, and the diff, asked without one, agrees with it.
	deployAsArgoCDDid(t, ns)
	kubectl(t, "annotate", "app", "guestbook", "-n", ns, "argocd.argoproj.io/refresh=hard", "--overwrite")
	waitForAppState(t, ns, "Synced", "Healthy")
	table := kubectl(t, "get", "app", "guestbook", "-n", ns, "--subresource=diff", "--no-headers")
	if rows := strings.Count(table, " Synced "); rows != 3 || strings.Contains(table, "Missing") {
		t.Errorf("kubectl get app --subresource=diff after a hard refresh:\n%s", table)
	}
	kubectl(t, "annotate", "app", "guestbook", "-n", ns, "argocd.argoproj.io/refresh=normal", "--overwrite")
	eventually(t, compareTimeout, "the refresh annotation to be handled", func() (bool, error) {
		annotation := appField(t, ns, `{.metadata.annotations.argocd\.argoproj\.io/refresh}`)
		return annotation == "", fmt.Errorf("annotation %q", annotation)
	})
	if got := appField(t, ns, "{.status.sync.status}"); got != "Synced" {
		t.Errorf("a normal refresh after the hard one finds the adopted objects %s, want Synced", got)
	}
}
