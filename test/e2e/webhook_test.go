package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"capstan.dev/capstan/pkg/webhook/webhooktest"
)

// planeEnv reads a variable of the plane's env file (hack/local-up.sh writes it).
func planeEnv(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(cluster.localDir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if value, ok := strings.CutPrefix(scanner.Text(), name+"="); ok {
			return value
		}
	}
	t.Fatalf("%s is not in the plane's env file", name)
	return ""
}

// postWebhook sends a delivery to the plane's receiver and returns the status.
func postWebhook(t *testing.T, d webhooktest.Delivery) (int, error) {
	t.Helper()
	request, err := d.Request(planeEnv(t, "CAPSTAN_WEBHOOK_URL"))
	if err != nil {
		t.Fatal(err)
	}
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		return 0, err
	}
	response.Body.Close()
	return response.StatusCode, nil
}

// configMapApplication is an automated Application named name that syncs
// the ConfigMap in directory name of repoURL, refreshed by webhooks only
// when that directory changes.
func configMapApplication(namespace, name, repoURL string) string {
	return fmt.Sprintf(`apiVersion: capstan.dev/v1alpha1
kind: Application
metadata:
  name: %[2]s
  namespace: %[1]s
  annotations:
    argocd.argoproj.io/manifest-generate-paths: .
spec:
  project: %[1]s
  source: {repoURL: %[3]q, targetRevision: main, path: %[2]s}
  destination: {server: https://kubernetes.default.svc, namespace: %[1]s}
  syncPolicy: {automated: {prune: true}}
`, namespace, name, repoURL)
}

func configMap(name, value string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  value: %q\n", name, value)
}

func TestAPushWebhookSyncsTheApplicationsItConcernsAfterOneRefListing(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	names := []string{"changed-a", "changed-b", "unchanged"}
	files := map[string]string{}
	for _, name := range names {
		files[name+"/configmap.yaml"] = configMap(name, "first")
	}
	repo := newGitRepo(t, files)
	for _, name := range names {
		kubectlWithInput(t, configMapApplication(ns, name, repo.URL), "apply", "-f", "-")
	}
	first := repo.head(t)
	revisionOf := func(name string) string {
		out, _ := tryKubectl("get", "app", name, "-n", ns, "-o", "jsonpath={.status.sync.status}@{.status.sync.revision}")
		return out
	}
	for _, name := range names {
		eventually(t, syncTimeout, name+" Synced on the first commit", func() (bool, error) {
			got := revisionOf(name)
			return got == "Synced@"+first, fmt.Errorf("status %q", got)
		})
	}

	event := webhooktest.Event{Ref: "refs/heads/main", Before: first, CloneURL: repo.URL}
	t.Run("an unsigned push is refused", func(t *testing.T) {
		event := event
		event.After = first
		status, err := postWebhook(t, mustWebhook(t, webhooktest.GitHubPush, event, webhooktest.Signing{}))
		if err != nil || status != http.StatusUnauthorized {
			t.Fatalf("status %d (%v), want 401", status, err)
		}
	})

	kubectlWithInput(t, `apiVersion: v1
kind: Secret
metadata: {name: argocd-secret, namespace: capstan-system}
stringData: {webhook.github.secret: e2e-s3cret}
`, "apply", "-f", "-")
	t.Cleanup(func() {
		_, _ = tryKubectl("delete", "secret", "argocd-secret", "-n", "capstan-system", "--ignore-not-found")
	})

	repo.commit(t, map[string]string{"changed-a/configmap.yaml": configMap("changed-a", "second"), "changed-b/configmap.yaml": configMap("changed-b", "second")}, "second")
	second := repo.head(t)
	repo.infoRefs.Store(0)
	repo.uploadPacks.Store(0)
	event.After = second
	event.Modified = []string{"changed-a/configmap.yaml", "changed-b/configmap.yaml"}
	signed := mustWebhook(t, webhooktest.GitHubPush, event, webhooktest.Signing{Secret: "e2e-s3cret"})
	// The receiver reads argocd-secret through an informer: 401 until it saw it.
	eventually(t, compareTimeout, "the signed push to be accepted", func() (bool, error) {
		status, err := postWebhook(t, signed)
		return status == http.StatusAccepted, fmt.Errorf("status %d (%v)", status, err)
	})

	for _, name := range names[:2] {
		eventually(t, syncTimeout, name+" Synced on the pushed commit", func() (bool, error) {
			got := revisionOf(name)
			return got == "Synced@"+second, fmt.Errorf("status %q", got)
		})
		if value := kubectl(t, "get", "configmap", name, "-n", ns, "-o", "jsonpath={.data.value}"); value != "second" {
			t.Errorf("ConfigMap %s has %q, want the pushed value", name, value)
		}
	}
	t.Run("an Application whose paths did not change was not refreshed", func(t *testing.T) {
		if got := revisionOf("unchanged"); got != "Synced@"+first {
			t.Errorf("unchanged: %q, want still Synced@%s", got, first)
		}
	})
	t.Run("the repository was listed once and fetched once for both Applications", func(t *testing.T) {
		// A listing is one ref advertisement; a fetch is one more and an upload-pack.
		if infoRefs, uploadPacks := repo.infoRefs.Load(), repo.uploadPacks.Load(); infoRefs != 2 || uploadPacks != 1 {
			t.Errorf("the Git server answered %d ref advertisements and %d upload-packs, want 2 and 1", infoRefs, uploadPacks)
		}
	})
	t.Run("the refresh requests were removed once handled", func(t *testing.T) {
		for _, name := range names {
			if out := kubectl(t, "get", "app", name, "-n", ns, "-o", "jsonpath={.metadata.annotations}"); strings.Contains(out, "refresh") {
				t.Errorf("%s still has annotations %s", name, out)
			}
		}
	})
}

func mustWebhook(t *testing.T, kind webhooktest.Kind, event webhooktest.Event, signing webhooktest.Signing) webhooktest.Delivery {
	t.Helper()
	d, err := webhooktest.New(kind, event, signing)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
