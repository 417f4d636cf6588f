package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// workloadTimeout bounds how long a workload may take to settle on the fake
// nodes; on an idle machine it takes about a second.
const workloadTimeout = 90 * time.Second

func TestCapstanAPIServiceIsAvailable(t *testing.T) {
	requireCapstanAPIServer(t)
	status := kubectl(t, "get", "apiservice", "v1alpha1.capstan.dev",
		"-o", `jsonpath={.status.conditions[?(@.type=="Available")].status}`)
	if status != "True" {
		t.Fatalf("APIService v1alpha1.capstan.dev Available=%q, want True\n%s", status,
			kubectl(t, "get", "apiservice", "v1alpha1.capstan.dev", "-o", "yaml"))
	}
}

func TestCapstanResourcesAreListedByAPIResources(t *testing.T) {
	requireCapstanAPIServer(t)
	out := kubectl(t, "api-resources", "--api-group=capstan.dev", "-o", "name")
	got := strings.Fields(out)
	for _, want := range []string{"applications.capstan.dev", "applicationsets.capstan.dev", "appprojects.capstan.dev"} {
		if !slices.Contains(got, want) {
			t.Errorf("kubectl api-resources --api-group=capstan.dev does not list %s; it lists %q", want, got)
		}
	}
}

func TestKwokNodesAreReady(t *testing.T) {
	out := kubectl(t, "get", "nodes", "-l", "type=kwok", "-o",
		`jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}`)
	nodes := strings.Fields(out)
	if len(nodes) < 1 {
		t.Fatalf("no kwok nodes (label type=kwok): %q", out)
	}
	for _, node := range nodes {
		if !strings.HasSuffix(node, "=True") {
			t.Errorf("node not Ready: %s", node)
		}
	}
}

func TestDeploymentBecomesAvailable(t *testing.T) {
	ns := createNamespace(t)
	kubectlWithInput(t, `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: web
        image: registry.k8s.io/pause:3.10
`, "apply", "-n", ns, "-f", "-")

	// Available alone is reached at replicas-maxUnavailable; require every replica Ready too.
	kubectl(t, "wait", "-n", ns, "deployment/web", "--for=condition=Available", "--timeout="+workloadTimeout.String())
	kubectl(t, "wait", "-n", ns, "deployment/web", "--for=jsonpath={.status.readyReplicas}=2", "--timeout="+workloadTimeout.String())

	ips := strings.Fields(kubectl(t, "get", "pods", "-n", ns, "-l", "app=web", "-o", "jsonpath={.items[*].status.podIP}"))
	if len(ips) != 2 {
		t.Errorf("want 2 pods with IPs from kwok, got %q", ips)
	}
}

func TestJobCompletes(t *testing.T) {
	ns := createNamespace(t)
	kubectlWithInput(t, `
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  completions: 2
  parallelism: 2
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 0
      containers:
      - name: migrate
        image: registry.k8s.io/pause:3.10
`, "apply", "-n", ns, "-f", "-")

	kubectl(t, "wait", "-n", ns, "job/migrate", "--for=condition=Complete", "--timeout="+workloadTimeout.String())
	if succeeded := kubectl(t, "get", "job", "migrate", "-n", ns, "-o", "jsonpath={.status.succeeded}"); succeeded != "2" {
		t.Errorf("job succeeded=%q, want 2", succeeded)
	}
}

// The opt-in kwok stages (hack/local/kwok/stages-capstan.yaml) let tests make
// hooks fail and workloads progress slowly.
func TestKwokFailAnnotationFailsJob(t *testing.T) {
	ns := createNamespace(t)
	kubectlWithInput(t, `
apiVersion: batch/v1
kind: Job
metadata:
  name: broken-hook
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations:
        capstan.dev/kwok-fail: "true"
        capstan.dev/kwok-fail-after: 100ms
        capstan.dev/kwok-exit-code: "3"
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 0
      containers:
      - name: hook
        image: registry.k8s.io/pause:3.10
`, "apply", "-n", ns, "-f", "-")

	kubectl(t, "wait", "-n", ns, "job/broken-hook", "--for=condition=Failed", "--timeout="+workloadTimeout.String())
	exitCode := kubectl(t, "get", "pods", "-n", ns, "-l", "job-name=broken-hook",
		"-o", "jsonpath={.items[0].status.containerStatuses[0].state.terminated.exitCode}")
	if exitCode != "3" {
		t.Errorf("failed pod exit code = %q, want 3", exitCode)
	}
}

func TestKwokReadyAfterAnnotationDelaysReadiness(t *testing.T) {
	ns := createNamespace(t)
	kubectlWithInput(t, `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: slow
spec:
  replicas: 1
  selector:
    matchLabels: {app: slow}
  template:
    metadata:
      labels: {app: slow}
      annotations:
        capstan.dev/kwok-ready-after: 4s
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: slow
        image: registry.k8s.io/pause:3.10
`, "apply", "-n", ns, "-f", "-")

	kubectl(t, "wait", "-n", ns, "deployment/slow", "--for=condition=Available", "--timeout="+workloadTimeout.String())

	// Timestamps have a resolution of one second: a 4 s delay shows as at least 3 s.
	times := strings.Fields(kubectl(t, "get", "pods", "-n", ns, "-l", "app=slow", "-o",
		`jsonpath={.items[0].metadata.creationTimestamp} {.items[0].status.conditions[?(@.type=="Ready")].lastTransitionTime}`))
	if len(times) != 2 {
		t.Fatalf("want the pod's creation and Ready times, got %q", times)
	}
	created, errCreated := time.Parse(time.RFC3339, times[0])
	ready, errReady := time.Parse(time.RFC3339, times[1])
	if errCreated != nil || errReady != nil {
		t.Fatalf("parse pod times %q: %v %v", times, errCreated, errReady)
	}
	if delay := ready.Sub(created); delay < 3*time.Second {
		t.Errorf("pod with capstan.dev/kwok-ready-after: 4s became Ready %s after creation, want at least 3s", delay)
	}
}
