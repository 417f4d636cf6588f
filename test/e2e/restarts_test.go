package e2e

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests in this file restart the plane's components under Capstan:
// kube-apiserver, capstan-apiserver (killed mid-sync, its embedded etcd
// crashing with it) and the destination cluster's reachability.

// historyIDs returns the ids of the Application guestbook's history entries.
func historyIDs(t *testing.T, namespace string) []string {
	t.Helper()
	return strings.Fields(appField(t, namespace, "{.status.history[*].id}"))
}

// operationStarts sums the counts of the OperationStarted Events of the
// Application guestbook: one per operation the controller started.
func operationStarts(t *testing.T, namespace string) int {
	t.Helper()
	out := kubectl(t, "get", "events", "-n", namespace,
		"--field-selector", "involvedObject.kind=Application,involvedObject.name=guestbook,reason=OperationStarted",
		"-o", "jsonpath={range .items[*]}{.count}{\"\\n\"}{end}")
	total := 0
	for _, field := range strings.Fields(out) {
		n, err := strconv.Atoi(field)
		if err != nil {
			t.Fatalf("event count %q: %v", field, err)
		}
		total += n
	}
	return total
}

// waitForGreeting waits until the ConfigMap guestbook-config of namespace
// greets with want.
func waitForGreeting(t *testing.T, namespace, what, want string) {
	t.Helper()
	eventually(t, syncTimeout, what, func() (bool, error) {
		got, err := tryKubectl("get", "configmap", "guestbook-config", "-n", namespace, "-o", "jsonpath={.data.greeting}")
		return err == nil && got == want, fmt.Errorf("greeting %q (%v), want %q", got, err, want)
	})
}

func TestAKubeAPIServerRestartKeepsWatchesAndRunsNoOperationTwice(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, automatedApplication(ns, repo.URL, "guestbook", true), "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")
	before := historyIDs(t, ns)
	if len(before) != 1 {
		t.Fatalf("history after the first sync: %v, want one entry", before)
	}
	eventually(t, compareTimeout, "the first operation's Event", func() (bool, error) {
		n := operationStarts(t, ns)
		return n == 1, fmt.Errorf("%d OperationStarted", n)
	})
	uids := guestbookUIDs(t, ns)

	// Every watch and request of capstan-apiserver to the cluster breaks.
	stopKubeAPIServer(t)
	startKubeAPIServer(t)

	// A drift made at once, while the watches are still being re-established,
	// is seen and reverted: the watch resumes without losing the event.
	kubectl(t, "patch", "configmap", "guestbook-config", "-n", ns, "--type=merge", "-p", `{"data":{"greeting":"drifted"}}`)
	waitForGreeting(t, ns, "self-heal to revert the drift made after the restart", "hello")
	waitForAppState(t, ns, "Synced", "Healthy")

	// A new commit and a refresh are followed.
	repo.commit(t, map[string]string{"guestbook/resources.yaml": strings.Replace(guestbookResources, "greeting: hello", "greeting: restarted", 1)}, "new greeting")
	kubectl(t, "annotate", "app", "guestbook", "-n", ns, "argocd.argoproj.io/refresh=normal", "--overwrite")
	waitForGreeting(t, ns, "the new commit to be synced", "restarted")
	head := repo.head(t)
	eventually(t, compareTimeout, "the Application to be Synced at the new commit", func() (bool, error) {
		got := appField(t, ns, "{.status.sync.status}/{.status.health.status}/{.status.sync.revision}/{.status.operationState.phase}")
		return got == "Synced/Healthy/"+head+"/Succeeded", fmt.Errorf("status %q", got)
	})

	// Exactly two more operations ran: the self-heal and the new commit's sync.
	after := historyIDs(t, ns)
	if len(after) != 3 || !slices.Equal(after[:1], before) {
		t.Errorf("history ids after the restart: %v, want %v and two new entries (one self-heal, one for the new commit)", after, before)
	}
	if got := appField(t, ns, "{.status.history[-1:].revision}"); got != head {
		t.Errorf("last history entry's revision %q, want the new commit %s", got, head)
	}
	// Events are recorded asynchronously (and a repeat only raises the
	// count of the first; one sent while kube-apiserver was away is retried
	// for up to two minutes, holding up those after it): wait for the
	// third, and see there is no fourth.
	eventually(t, 3*time.Minute, "three OperationStarted Events (the first sync, the self-heal, the new commit)", func() (bool, error) {
		n := operationStarts(t, ns)
		if n > 3 {
			t.Fatalf("%d OperationStarted Events, want 3: an operation ran twice", n)
		}
		return n == 3, fmt.Errorf("%d OperationStarted Events", n)
	})
	if got := guestbookUIDs(t, ns); got != uids {
		t.Errorf("objects were re-created across the restart: UIDs %s, then %s", uids, got)
	}
}

// coldSyncApps is how many Applications TestASIGKILLDuringAColdSyncResumesEveryOperationOnce
// syncs; CAPSTAN_E2E_COLD_SYNC_APPS changes it.
func coldSyncApps(t *testing.T) int {
	t.Helper()
	n := 100
	if value := os.Getenv("CAPSTAN_E2E_COLD_SYNC_APPS"); value != "" {
		var err error
		if n, err = strconv.Atoi(value); err != nil || n < 10 {
			t.Fatalf("CAPSTAN_E2E_COLD_SYNC_APPS=%q: want a number of at least 10", value)
		}
	}
	return n
}

// coldSyncManifests are one small Application's objects: a ConfigMap and a
// PreSync hook Job that takes two seconds, with Argo CD's default deletion
// policy (BeforeHookCreation): a hook run again would be re-created.
func coldSyncManifests(i int) string {
	return fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: config-%03[1]d
data:
  app: "%[1]d"
---
apiVersion: batch/v1
kind: Job
metadata:
  name: hook-%03[1]d
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations:
        capstan.dev/kwok-complete-after: "2s"
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: hook
        image: registry.k8s.io/pause:3.10
      restartPolicy: Never
`, i)
}

func coldSyncApplication(namespace, repoURL string, i int) string {
	return fmt.Sprintf(`apiVersion: capstan.dev/v1alpha1
kind: Application
metadata:
  name: app-%03[3]d
  namespace: %[1]s
spec:
  project: %[1]s
  source:
    repoURL: %[2]s
    targetRevision: main
    path: app-%03[3]d
  destination:
    server: https://kubernetes.default.svc
    namespace: %[1]s
  syncPolicy:
    automated: {}
`, namespace, repoURL, i)
}

// appRows lists the Applications of namespace as "name phase sync historyLength path" rows.
func appRows(namespace string) (map[string][]string, error) {
	out, err := tryKubectl("get", "apps", "-n", namespace, "-o",
		`jsonpath={range .items[*]}{.metadata.name} {.status.operationState.phase}- {.status.sync.status}- {.status.history[*].id}{"|"}{.spec.source.path}{"\n"}{end}`)
	if err != nil {
		return nil, err
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		head, path, _ := strings.Cut(line, "|")
		fields := strings.Fields(head)
		// name, phase, sync, number of history entries, path
		rows[fields[0]] = []string{strings.TrimSuffix(fields[1], "-"), strings.TrimSuffix(fields[2], "-"), strconv.Itoa(len(fields) - 3), path}
	}
	return rows, nil
}

// hookJobs returns the hook Jobs of namespace: name → uid, and the names of
// those that completed.
func hookJobs(namespace string) (map[string]string, []string, error) {
	out, err := tryKubectl("get", "jobs", "-n", namespace, "-o",
		`jsonpath={range .items[*]}{.metadata.name} {.metadata.uid} {.status.succeeded}{"\n"}{end}`)
	if err != nil {
		return nil, nil, err
	}
	uids := map[string]string{}
	var finished []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		uids[fields[0]] = fields[1]
		if len(fields) == 3 && fields[2] == "1" {
			finished = append(finished, fields[0])
		}
	}
	return uids, finished, nil
}

func TestASIGKILLDuringAColdSyncResumesEveryOperationOnce(t *testing.T) {
	requireCapstanAPIServer(t)
	n := coldSyncApps(t)
	ns := createNamespace(t)
	files := map[string]string{}
	apps := make([]string, n)
	for i := range n {
		files[fmt.Sprintf("app-%03d/all.yaml", i)] = coldSyncManifests(i)
	}
	repo := newGitRepo(t, files)
	for i := range n {
		apps[i] = coldSyncApplication(ns, repo.URL, i)
	}
	started := time.Now()
	kubectlWithInput(t, strings.Join(apps, "---\n"), "apply", "-f", "-")

	// Kill capstan-apiserver, and its embedded etcd with it, once one in
	// twenty hooks finished (so that finished hooks exist, which must not be
	// re-created) while most operations still run.
	var finishedUIDs map[string]string
	eventually(t, syncTimeout, "one in twenty hooks to finish", func() (bool, error) {
		uids, finished, err := hookJobs(ns)
		if err != nil || len(finished) < max(1, n/20) {
			return false, fmt.Errorf("%d of %d hooks finished (%v)", len(finished), n, err)
		}
		finishedUIDs = map[string]string{}
		for _, name := range finished {
			finishedUIDs[name] = uids[name]
		}
		return true, nil
	})
	rows, err := appRows(ns)
	if err != nil {
		t.Fatal(err)
	}
	succeeded := 0
	for _, row := range rows {
		if row[0] == "Succeeded" {
			succeeded++
		}
	}
	t.Logf("killing capstan-apiserver %s after the Applications were created: %d hooks finished, %d of %d operations succeeded",
		time.Since(started).Round(time.Second), len(finishedUIDs), succeeded, n)
	if succeeded == n {
		t.Fatalf("every operation finished before the kill: nothing was interrupted")
	}
	restartCapstanAPIServer(t)

	// Every Application survived the crash of the embedded etcd, unchanged,
	// and every operation completes.
	eventually(t, 3*syncTimeout, "every operation to succeed after the restart", func() (bool, error) {
		rows, err := appRows(ns)
		if err != nil {
			return false, err
		}
		if len(rows) != n {
			t.Fatalf("%d Applications after the crash, want %d", len(rows), n)
		}
		done := 0
		for name, row := range rows {
			if row[3] != name {
				t.Fatalf("Application %s has source path %q after the crash", name, row[3])
			}
			if row[0] == "Failed" || row[0] == "Error" {
				t.Fatalf("the operation of %s: %s", name, row[0])
			}
			if row[0] == "Succeeded" && row[1] == "Synced" {
				done++
			}
		}
		return done == n, fmt.Errorf("%d of %d Applications synced", done, n)
	})
	t.Logf("the cold sync of %d Applications ended %s after they were created", n, time.Since(started).Round(time.Second))

	// None ran twice: one history entry each, no finished hook re-created.
	rows, err = appRows(ns)
	if err != nil {
		t.Fatal(err)
	}
	for name, row := range rows {
		if row[2] != "1" {
			t.Errorf("Application %s has %s history entries, want 1", name, row[2])
		}
	}
	uids, _, err := hookJobs(ns)
	if err != nil {
		t.Fatal(err)
	}
	for name, uid := range finishedUIDs {
		if uids[name] != uid {
			t.Errorf("hook %s finished before the kill and was re-created (uid %s, then %q)", name, uid, uids[name])
		}
	}
	configMaps := strings.Fields(kubectl(t, "get", "configmaps", "-n", ns, "-l", "capstan.dev/instance", "-o", "name"))
	if len(configMaps) != n {
		t.Errorf("%d managed ConfigMaps, want %d", len(configMaps), n)
	}

	// The README's backup: a snapshot of the embedded etcd holds them all.
	if names := snapshotApplications(t, ns); len(names) != n {
		t.Errorf("a snapshot of the embedded etcd holds %d Applications of %s, want %d", len(names), ns, n)
	}
}

// tcpProxy forwards TCP connections from a loopback port to target, until
// it is cut: a fake network path to a destination cluster, for failure
// injection. TLS passes through untouched.
type tcpProxy struct {
	target, addr string

	mu       sync.Mutex
	listener net.Listener
	conns    map[net.Conn]struct{}
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{target: target, addr: listener.Addr().String(), listener: listener, conns: map[net.Conn]struct{}{}}
	go p.serve(listener)
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) serve(listener net.Listener) {
	for {
		client, err := listener.Accept()
		if err != nil {
			return
		}
		go p.forward(client)
	}
}

func (p *tcpProxy) forward(client net.Conn) {
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.listener == nil { // cut meanwhile
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(to, from net.Conn) {
		_, _ = io.Copy(to, from)
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	client.Close()
	server.Close()
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

// cut closes the port and every connection through it: the destination is
// unreachable (connections are refused) until restore.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listener != nil {
		p.listener.Close()
		p.listener = nil
	}
	for conn := range p.conns {
		conn.Close()
		delete(p.conns, conn)
	}
}

// restore listens on the same port again.
func (p *tcpProxy) restore(t *testing.T) {
	t.Helper()
	var listener net.Listener
	eventually(t, 30*time.Second, "the proxy's port to be free again", func() (bool, error) {
		var err error
		listener, err = net.Listen("tcp", p.addr)
		return err == nil, err
	})
	p.mu.Lock()
	p.listener = listener
	p.mu.Unlock()
	go p.serve(listener)
}

func TestAnUnreachableDestinationIsReportedPrunesNothingAndRecoversByItself(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	target, err := url.Parse(kubeAPIServerURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, target.Host)
	server := "https://" + proxy.addr
	registerCluster(t, "flaky-"+ns, "flaky", server)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	app := strings.Replace(automatedApplication(ns, repo.URL, "guestbook", true), "server: https://kubernetes.default.svc", "server: "+server, 1)
	kubectlWithInput(t, app, "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")
	uids := guestbookUIDs(t, ns)
	history := historyIDs(t, ns)

	proxy.cut()
	eventually(t, compareTimeout, "the Application to report the unreachable cluster", func() (bool, error) {
		got := appField(t, ns, "{.status.sync.status}/{.status.health.status}")
		conditions := appField(t, ns, `{.status.conditions[?(@.type=="ComparisonError")].message}`)
		return got == "Unknown/Unknown" && strings.Contains(conditions, "unreachable"), fmt.Errorf("status %q, ComparisonError %q", got, conditions)
	})
	// A hard refresh during the outage reads nothing as absent; a drift made
	// meanwhile, past the proxy, is found once the cluster is back.
	kubectl(t, "annotate", "app", "guestbook", "-n", ns, "argocd.argoproj.io/refresh=hard", "--overwrite")
	eventually(t, compareTimeout, "the hard refresh to be done", func() (bool, error) {
		annotation := appField(t, ns, `{.metadata.annotations.argocd\.argoproj\.io/refresh}`)
		return annotation == "", fmt.Errorf("refresh annotation %q", annotation)
	})
	kubectl(t, "patch", "configmap", "guestbook-config", "-n", ns, "--type=merge", "-p", `{"data":{"greeting":"drifted"}}`)
	if got := appField(t, ns, "{.status.sync.status}/{.status.health.status}"); got != "Unknown/Unknown" {
		t.Errorf("status during the outage after a hard refresh: %q, want Unknown/Unknown", got)
	}
	if got := guestbookUIDs(t, ns); got != uids {
		t.Errorf("objects changed during the outage: UIDs %s, then %s", uids, got)
	}

	proxy.restore(t)
	waitForGreeting(t, ns, "self-heal to revert the drift made during the outage", "hello")
	waitForAppState(t, ns, "Synced", "Healthy")
	if conditions := appField(t, ns, "{.status.conditions}"); conditions != "" {
		t.Errorf("conditions after the recovery: %s", conditions)
	}
	if got := guestbookUIDs(t, ns); got != uids {
		t.Errorf("objects were deleted or re-created across the outage: UIDs %s, then %s", uids, got)
	}
	// One operation after the outage, the self-heal; none during it.
	if got := historyIDs(t, ns); len(got) != len(history)+1 {
		t.Errorf("history ids %v after the outage, want %v and one self-heal", got, history)
	}
}
