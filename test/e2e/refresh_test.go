package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// compareTimeout bounds how long a comparison may take to show up in status.
const compareTimeout = 90 * time.Second

const guestbookResources = `apiVersion: v1
kind: ConfigMap
metadata:
  name: guestbook-config
data:
  greeting: hello
---
apiVersion: v1
kind: Service
metadata:
  name: guestbook-ui
spec:
  ports:
  - port: 80
    targetPort: 80
  selector:
    app: guestbook-ui
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: guestbook-ui
spec:
  replicas: 1
  selector:
    matchLabels:
      app: guestbook-ui
  template:
    metadata:
      labels:
        app: guestbook-ui
    spec:
      containers:
      - name: guestbook-ui
        image: gcr.io/heptio-images/ks-guestbook-demo:0.2
        ports:
        - containerPort: 80
`

func guestbookApplication(namespace, repoURL, path string) string {
	return fmt.Sprintf(`apiVersion: capstan.dev/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: %[1]s
spec:
  project: %[1]s
  source:
    repoURL: %[2]s
    targetRevision: main
    path: %[3]s
  destination:
    server: https://kubernetes.default.svc
    namespace: %[1]s
`, namespace, repoURL, path)
}

// trackedResources are guestbookResources as a sync leaves them: labelled and
// annotated as managed by the Application guestbook of namespace.
func trackedResources(namespace string) string {
	instance := namespace + "_guestbook"
	var docs []string
	for _, doc := range strings.Split(guestbookResources, "---\n") {
		kind := strings.TrimSpace(strings.SplitN(strings.SplitN(doc, "kind: ", 2)[1], "\n", 2)[0])
		name := strings.TrimSpace(strings.SplitN(strings.SplitN(doc, "  name: ", 2)[1], "\n", 2)[0])
		group := ""
		if kind == "Deployment" {
			group = "apps"
		}
		tracking := fmt.Sprintf("%s:%s/%s:%s/%s", instance, group, kind, namespace, name)
		doc = strings.Replace(doc, "metadata:\n", fmt.Sprintf(
			"metadata:\n  labels:\n    capstan.dev/instance: %s\n  annotations:\n    capstan.dev/tracking-id: %s\n", instance, tracking), 1)
		docs = append(docs, doc)
	}
	return strings.Join(docs, "---\n")
}

func appField(t *testing.T, namespace, jsonpath string) string {
	t.Helper()
	out, err := tryKubectl("get", "app", "guestbook", "-n", namespace, "-o", "jsonpath="+jsonpath)
	if err != nil {
		return ""
	}
	return out
}

func waitForAppState(t *testing.T, namespace, sync, health string) {
	t.Helper()
	eventually(t, compareTimeout, fmt.Sprintf("application sync %s and health %s", sync, health), func() (bool, error) {
		got := appField(t, namespace, "{.status.sync.status}/{.status.health.status}")
		if got == sync+"/"+health {
			return true, nil
		}
		return false, fmt.Errorf("status is %q; conditions %s", got, appField(t, namespace, "{.status.conditions}"))
	})
}

func TestApplicationComparesTargetWithLiveState(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	commit := strings.TrimSpace(runGit(t, repo.work, "rev-parse", "HEAD"))
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "guestbook"), "apply", "-f", "-")

	// Nothing is deployed yet: every resource is missing.
	waitForAppState(t, ns, "OutOfSync", "Missing")
	if got := appField(t, ns, "{.status.sync.revision}"); got != commit {
		t.Errorf("status.sync.revision = %q, want the commit %s", got, commit)
	}
	resources := appField(t, ns, `{range .status.resources[*]}{.kind}/{.name}={.status},{.health.status};{end}`)
	for _, want := range []string{"ConfigMap/guestbook-config=OutOfSync,Missing", "Service/guestbook-ui=OutOfSync,Missing", "Deployment/guestbook-ui=OutOfSync,Missing"} {
		if !strings.Contains(resources, want) {
			t.Errorf("status.resources %q lacks %s", resources, want)
		}
	}

	// The live state as a sync leaves it: Synced, and Healthy once the Deployment is available.
	kubectlWithInput(t, trackedResources(ns), "apply", "--server-side", "--field-manager=capstan", "-n", ns, "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")

	// A change to a managed object is noticed through the watch.
	kubectl(t, "patch", "configmap", "guestbook-config", "-n", ns, "--type", "merge", "-p", `{"data":{"greeting":"changed"}}`)
	waitForAppState(t, ns, "OutOfSync", "Healthy")
	if got := appField(t, ns, `{.status.resources[?(@.kind=="ConfigMap")].status}`); got != "OutOfSync" {
		t.Errorf("ConfigMap status = %q, want OutOfSync", got)
	}

	// The diff subresource shows the edited field, one row per resource in kubectl.
	table := kubectl(t, "get", "app", "guestbook", "-n", ns, "--subresource=diff")
	if !strings.Contains(table, "guestbook-config") || !strings.Contains(table, "OutOfSync") {
		t.Errorf("kubectl get app --subresource=diff:\n%s", table)
	}
	raw := kubectl(t, "get", "--raw", "/apis/capstan.dev/v1alpha1/namespaces/"+ns+"/applications/guestbook/diff")
	if !strings.Contains(raw, `-  greeting: changed\n+  greeting: hello`) {
		t.Errorf("the diff does not show the edited field:\n%s", raw)
	}
	manifests := kubectl(t, "get", "--raw", "/apis/capstan.dev/v1alpha1/namespaces/"+ns+"/applications/guestbook/manifests")
	for _, want := range []string{`"kind":"ApplicationManifests"`, `"name":"guestbook-config"`, `"name":"guestbook-ui"`, commit} {
		if !strings.Contains(manifests, want) {
			t.Errorf("the manifests subresource lacks %s:\n%s", want, manifests)
		}
	}
}

func TestApplicationWithABadPathGetsAComparisonError(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "no-such-path"), "apply", "-f", "-")
	eventually(t, compareTimeout, "a ComparisonError condition", func() (bool, error) {
		conditions := appField(t, ns, `{.status.conditions[*].type}`)
		return strings.Contains(conditions, "ComparisonError"), fmt.Errorf("conditions are %q", conditions)
	})
	if got := appField(t, ns, "{.status.sync.status}"); got != "Unknown" {
		t.Errorf("sync status with a bad path = %q, want Unknown", got)
	}
}

func TestADeploymentThatNeverBecomesAvailableIsProgressingThenDegraded(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	// No node matches the selector: the pod stays Pending, the Deployment
	// never becomes available, and its progress deadline passes.
	stuck := unschedulableDeployment("stuck", "  progressDeadlineSeconds: 8\n")
	repo := newGitRepo(t, map[string]string{"stuck/deployment.yaml": stuck})
	kubectlWithInput(t, automatedApplication(ns, repo.URL, "stuck", false), "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Progressing")
	waitForAppState(t, ns, "Synced", "Degraded")
	if message := appField(t, ns, "{.status.resources[0].health.message}"); !strings.Contains(message, "exceeded its progress deadline") {
		t.Errorf("Deployment health message %q does not name the progress deadline", message)
	}
}

// TestTheLastProgressMessageOfARolloutIsWritten: progress messages that
// change while a resource stays Progressing wait for the next change that
// matters (application.ProgressMessageDelay). A rollout that stops changing
// without becoming available still gets its last message written.
func TestTheLastProgressMessageOfARolloutIsWritten(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	// No node matches the selector: the pod stays Pending and the Deployment
	// Progressing (its progress deadline is 10 minutes away).
	pending := unschedulableDeployment("pending", "")
	repo := newGitRepo(t, map[string]string{"pending/deployment.yaml": pending})
	kubectlWithInput(t, automatedApplication(ns, repo.URL, "pending", false), "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Progressing")
	const last = "Waiting for rollout to finish: 0 of 1 updated replicas are available..."
	eventually(t, compareTimeout, "the Deployment's last progress message in the Application", func() (bool, error) {
		message := appField(t, ns, "{.status.resources[0].health.message}")
		return message == last, fmt.Errorf("the Deployment's health message is %q", message)
	})
	if got := appField(t, ns, "{.status.sync.status}/{.status.health.status}"); got != "Synced/Progressing" {
		t.Errorf("status = %q, want Synced/Progressing", got)
	}
}

// unschedulableDeployment is a Deployment whose pod no node accepts: it
// stays Pending and the Deployment never becomes available. spec holds more
// lines of its spec (indented by two spaces).
func unschedulableDeployment(name, spec string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: 1
%[2]s  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s
    spec:
      nodeSelector:
        capstan.dev/no-such-node: "true"
      containers:
      - name: %[1]s
        image: busybox
`, name, spec)
}
