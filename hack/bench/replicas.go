package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/sharding"
)

// The HA scenarios (`make bench HA=3`): the plane runs cfg.replicas sharded
// replicas of capstan-apiserver over a 3-member etcd cluster.
//
//   - cold sync, 1 replica: replicas 2..N stop (releasing their Leases), a
//     batch of its own of the workload is synced by replica 1 alone, its
//     Applications are deleted again and replicas 2..N restart; then the
//     ordinary cold sync runs on all N. W(N) with N replicas is reported
//     against W(N) with one, and the applies of each object are counted in
//     both (kube-apiserver's audit log): on 2 cores the time will not drop,
//     what must hold is that nothing is applied more often with N replicas.
//   - takeover (last): the replica capstan-apiserver-2 is killed with SIGKILL;
//     for each Application it owned, the time from the kill to its first
//     comparison by a surviving replica (new owner and a new reconciledAt).
//     The floor is --replica-lease-duration: a dead replica's Lease must
//     expire before its Applications move.

// haNamespace holds the replicas' Leases on the local plane.
const haNamespace = "capstan-system"

// singleReplicaPrefix names the Applications of the one-replica cold sync.
const singleReplicaPrefix = "single-"

// replicaProcess is the name of replica n in pids/: hack/local-up.sh records
// the first as capstan-apiserver, hack/local-replica.sh the others.
func replicaProcess(n int) string {
	if n == 1 {
		return "capstan-apiserver"
	}
	return fmt.Sprintf("capstan-apiserver-%d", n)
}

// replicaName is replica n's --replica-name (its Lease's holder).
func replicaName(n int) string { return fmt.Sprintf("capstan-apiserver-%d", n) }

// coldSyncRun is what one cold sync measured, for the comparison of 1 and N replicas.
type coldSyncRun struct {
	samples  []float64
	from, to time.Time
	reached  string
}

// runSingleReplicaColdSync measures the cold sync of a batch of the workload
// by one replica, then restores the N replicas.
func runSingleReplicaColdSync(ctx context.Context, env *environment, _ *report) error {
	if err := env.applyNamespace(ctx, appNamespace); err != nil {
		return fmt.Errorf("namespace %s: %w", appNamespace, err)
	}
	if err := env.applyProject(ctx); err != nil {
		return fmt.Errorf("AppProject %s: %w", benchProject, err)
	}
	for n := 2; n <= env.cfg.replicas; n++ {
		if err := env.stopReplica(ctx, n, syscall.SIGTERM); err != nil {
			return err
		}
	}
	if err := env.waitForLiveReplicas(ctx, 1); err != nil {
		return err
	}
	apps := make([]*v1alpha1.Application, len(env.apps))
	for i, a := range env.apps {
		apps[i] = application(a, env.git.URL)
		apps[i].Name = singleReplicaPrefix + a.Name
		apps[i].Spec.Destination.Namespace = "bench-" + apps[i].Name
	}
	run, err := coldSyncBatch(ctx, env, apps)
	if err != nil {
		return err
	}
	env.singleReplica = &run
	logf("cold sync with 1 replica: %d/%d Synced and Healthy in %.2f s", len(run.samples), len(apps), run.to.Sub(run.from).Seconds())
	// The ordinary cold sync and the later scenarios see only their own apps.
	err = parallel(len(apps), env.cfg.workers, func(i int) error {
		err := env.capstan.CapstanV1alpha1().Applications(appNamespace).Delete(ctx, apps[i].Name, metav1.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete the one-replica batch: %w", err)
	}
	if !waitUntil(ctx, time.Minute, 250*time.Millisecond, func() bool { return len(env.appInformer.GetStore().List()) == 0 }) {
		return fmt.Errorf("the one-replica batch's Applications were not deleted within 1m")
	}
	for n := 2; n <= env.cfg.replicas; n++ {
		if err := env.startReplica(ctx, n); err != nil {
			return err
		}
	}
	return env.waitForLiveReplicas(ctx, env.cfg.replicas)
}

// coldSyncBatch creates apps and returns each one's time until Synced and Healthy.
func coldSyncBatch(ctx context.Context, env *environment, apps []*v1alpha1.Application) (coldSyncRun, error) {
	var (
		mu   sync.Mutex
		done = map[string]time.Duration{}
		want = map[string]bool{}
	)
	for _, app := range apps {
		want[app.Name] = true
	}
	run := coldSyncRun{from: time.Now()}
	stop := env.observe(func(app *v1alpha1.Application, now time.Time) {
		if !want[app.Name] || app.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced || app.Status.Health.Status != v1alpha1.HealthStatusHealthy {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, ok := done[app.Name]; !ok {
			done[app.Name] = now.Sub(run.from)
		}
	})
	defer stop()
	err := parallel(len(apps), env.cfg.workers, func(i int) error {
		_, err := env.capstan.CapstanV1alpha1().Applications(appNamespace).Create(ctx, apps[i], metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return run, fmt.Errorf("create Applications: %w", err)
	}
	all := waitUntil(ctx, env.cfg.coldLimit, 250*time.Millisecond, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(done) == len(apps)
	})
	run.to = time.Now()
	mu.Lock()
	defer mu.Unlock()
	for _, d := range done {
		run.samples = append(run.samples, d.Seconds())
	}
	if !all {
		run.reached = fmt.Sprintf("%d/%d Synced and Healthy at limit %s", len(done), len(apps), env.cfg.coldLimit)
		for range len(apps) - len(done) {
			run.samples = append(run.samples, env.cfg.coldLimit.Seconds())
		}
	}
	return run, nil
}

// runReplicaComparison reports the ordinary cold sync (N replicas) against
// the one-replica batch: W(N) and the applies per object.
func runReplicaComparison(_ context.Context, env *environment, r *report) error {
	single, sharded := env.singleReplica, env.coldSync
	if single == nil || sharded == nil {
		return fmt.Errorf("a cold sync did not run (1 replica: %v, %d replicas: %v)", single != nil, env.cfg.replicas, sharded != nil)
	}
	n := env.cfg.replicas
	r.add(figure{Scenario: "replicas", Name: fmt.Sprintf("cold sync W(N), all apps, %d replicas", n), Unit: "s",
		Value: percentile(sharded.samples, 1), Floor: percentile(single.samples, 1),
		FloorNote: "1 replica, same run", Reached: sharded.reached + single.reached})
	time.Sleep(2 * time.Second) // the audit log's batch writer flushes
	path := auditLogPath(env.cfg.localDir)
	singleApplies, err := countApplies(path, single.from, single.to, "bench-"+singleReplicaPrefix)
	if err != nil {
		return err
	}
	shardedApplies, err := countApplies(path, sharded.from, sharded.to, "bench-app-")
	if err != nil {
		return err
	}
	r.add(figure{Scenario: "replicas", Name: fmt.Sprintf("objects applied, %d replicas", n), Unit: "obj",
		Value: float64(len(shardedApplies)), Floor: float64(len(singleApplies)), FloorNote: "1 replica, same run"})
	r.add(figure{Scenario: "replicas", Name: fmt.Sprintf("applies per object (mean), %d replicas", n), Unit: "req",
		Value: mean(shardedApplies), Floor: mean(singleApplies), FloorNote: "1 replica, same run"})
	r.add(figure{Scenario: "replicas", Name: fmt.Sprintf("applies per object (max), %d replicas", n), Unit: "req",
		Value: maxCount(shardedApplies), Floor: maxCount(singleApplies), FloorNote: "1 replica, same run"})
	r.detail("replicaAppliesPerObject", map[string]any{"1": histogram(singleApplies), strconv.Itoa(n): histogram(shardedApplies)})
	return nil
}

// runTakeover kills replica 2 and times the first comparison by a surviving
// replica of each Application it owned.
func runTakeover(ctx context.Context, env *environment, r *report) error {
	const victim = 2
	dead := replicaName(victim)
	// Each owned app's last comparison before the kill.
	before := map[string]*metav1.Time{}
	for _, obj := range env.appInformer.GetStore().List() {
		app := obj.(*v1alpha1.Application)
		if app.Annotations[sharding.OwnerAnnotation] == dead {
			before[app.Name] = app.Status.ReconciledAt
		}
	}
	if len(before) == 0 {
		return fmt.Errorf("%s owns no Application", dead)
	}
	var (
		mu    sync.Mutex
		taken = map[string]time.Duration{}
	)
	var killed time.Time
	stop := env.observe(func(app *v1alpha1.Application, now time.Time) {
		mu.Lock()
		defer mu.Unlock()
		last, owned := before[app.Name]
		if !owned || killed.IsZero() || app.Annotations[sharding.OwnerAnnotation] == dead || app.Status.ReconciledAt == nil {
			return
		}
		if last != nil && !app.Status.ReconciledAt.After(last.Time) {
			return
		}
		if _, ok := taken[app.Name]; !ok {
			taken[app.Name] = now.Sub(killed)
		}
	})
	defer stop()
	mu.Lock()
	killed = time.Now()
	mu.Unlock()
	if err := env.stopReplica(ctx, victim, syscall.SIGKILL); err != nil {
		return err
	}
	limit := 2*env.cfg.leaseDuration + env.cfg.coldLimit
	all := waitUntil(ctx, limit, 100*time.Millisecond, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(taken) == len(before)
	})
	mu.Lock()
	defer mu.Unlock()
	samples := make([]float64, 0, len(before))
	for _, d := range taken {
		samples = append(samples, d.Seconds())
	}
	reached := ""
	if !all {
		reached = fmt.Sprintf("%d/%d taken over at limit %s", len(taken), len(before), limit)
		for range len(before) - len(taken) {
			samples = append(samples, limit.Seconds())
		}
	}
	lease := env.cfg.leaseDuration.Seconds()
	for _, q := range []float64{0.50, 0.99} {
		r.add(figure{Scenario: "takeover", Name: fmt.Sprintf("first comparison after SIGKILL p%.0f (%d apps)", q*100, len(before)), Unit: "s",
			Value: percentile(samples, q), Floor: lease, FloorNote: "--replica-lease-duration", Reached: reached})
	}
	r.addDistribution("takeover", "dead replica's app compared by another", false, samples)
	return nil
}

// stopReplica signals replica n (recorded in pids/) and waits until it exits.
func (e *environment) stopReplica(ctx context.Context, n int, sig syscall.Signal) error {
	name := replicaProcess(n)
	data, err := os.ReadFile(filepath.Join(e.cfg.localDir, "pids", name+".pid"))
	if err != nil {
		return fmt.Errorf("%s's PID: %w", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return fmt.Errorf("%s's PID %q: %w", name, data, err)
	}
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %s: %w", name, err)
	}
	gone := waitUntil(ctx, time.Minute, 100*time.Millisecond, func() bool {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err != nil || strings.Contains(string(stat), ") Z ")
	})
	if !gone {
		return fmt.Errorf("%s (pid %d) did not exit within 1m of %v", name, pid, sig)
	}
	logf("%s stopped (%v)", name, sig)
	return nil
}

// startReplica starts replica n again with hack/local-replica.sh, which
// waits until it is ready.
func (e *environment) startReplica(ctx context.Context, n int) error {
	cmd := exec.CommandContext(ctx, filepath.Join(e.cfg.hackDir, "local-replica.sh"), strconv.Itoa(n))
	cmd.Env = append(os.Environ(), "CAPSTAN_LOCAL_DIR="+e.cfg.localDir, "CAPSTAN_BIN_DIR="+e.cfg.binDir,
		"CAPSTAN_PORT_BASE="+e.portBase())
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("hack/local-replica.sh %d: %w", n, err)
	}
	return nil
}

// portBase is the plane's CAPSTAN_PORT_BASE, from the env file of hack/local-up.sh.
func (e *environment) portBase() string {
	data, _ := os.ReadFile(filepath.Join(e.cfg.localDir, "env"))
	for _, line := range strings.Split(string(data), "\n") {
		if value, ok := strings.CutPrefix(line, "CAPSTAN_PORT_BASE="); ok {
			return value
		}
	}
	return ""
}

// waitForLiveReplicas waits until exactly n replica Leases are live.
func (e *environment) waitForLiveReplicas(ctx context.Context, n int) error {
	var live int
	ok := waitUntil(ctx, 2*time.Minute+2*e.cfg.leaseDuration, 250*time.Millisecond, func() bool {
		leases, err := e.kube.CoordinationV1().Leases(haNamespace).List(ctx, metav1.ListOptions{LabelSelector: sharding.ReplicaLabel})
		if err != nil {
			return false
		}
		live = 0
		for _, lease := range leases.Items {
			if lease.Spec.RenewTime == nil || lease.Spec.LeaseDurationSeconds == nil {
				continue
			}
			if time.Since(lease.Spec.RenewTime.Time) < time.Duration(*lease.Spec.LeaseDurationSeconds)*time.Second {
				live++
			}
		}
		return live == n
	})
	if !ok {
		return fmt.Errorf("%d live replica Leases, want %d", live, n)
	}
	return nil
}

// countApplies counts capstan-apiserver's writes (apply patches, creates,
// updates; no dry runs) of each object in a namespace starting with prefix,
// received in [from, to), by "resource namespace/name".
func countApplies(path string, from, to time.Time, prefix string) (map[string]int, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	seen := map[string]bool{}
	counts := map[string]int{}
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 16<<20)
	for scanner.Scan() {
		var event auditEvent
		if json.Unmarshal(scanner.Bytes(), &event) != nil || event.User.Username != capstanUser || event.ObjectRef == nil {
			continue
		}
		if event.RequestReceivedTimestamp.Before(from) || !event.RequestReceivedTimestamp.Before(to) || seen[event.AuditID] {
			continue
		}
		switch event.Verb {
		case "patch", "create", "update":
		default:
			continue
		}
		ref := event.ObjectRef
		if strings.Contains(event.RequestURI, "dryRun=") || ref.Subresource != "" {
			continue
		}
		namespace := ref.Namespace
		if ref.Resource == "namespaces" {
			namespace = ref.Name
		}
		if !strings.HasPrefix(namespace, prefix) || ref.Resource == "events" {
			continue
		}
		seen[event.AuditID] = true
		counts[ref.Resource+" "+ref.Namespace+"/"+ref.Name]++
	}
	return counts, scanner.Err()
}

func mean(counts map[string]int) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	if len(counts) == 0 {
		return 0
	}
	return float64(total) / float64(len(counts))
}

func maxCount(counts map[string]int) float64 {
	most := 0
	for _, c := range counts {
		most = max(most, c)
	}
	return float64(most)
}

// histogram is how many objects were applied how many times.
func histogram(counts map[string]int) map[string]int {
	h := map[string]int{}
	for _, c := range counts {
		h[strconv.Itoa(c)]++
	}
	return h
}
