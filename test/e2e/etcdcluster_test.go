package e2e

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"capstan.dev/capstan/pkg/sharding"
)

// thirdReplica is the third replica of the HA plane (hack/local-replica.sh 3).
const thirdReplica = "capstan-apiserver-3"

// etcdMembers are the members of the HA plane's etcd cluster, as recorded in
// pids/ by hack/local-etcd-cluster.sh.
var etcdMembers = []string{"capstan-etcd-1", "capstan-etcd-2", "capstan-etcd-3"}

// etcdClusterPort is where hack/lib/etcd-cluster.sh puts the cluster's ports.
func etcdClusterPort() int { return cluster.portBase + 391 }

// etcdMemberMetricsURL is member n's (1..3) plain-HTTP metrics endpoint.
func etcdMemberMetricsURL(n int) string {
	return fmt.Sprintf("http://127.0.0.1:%d", etcdClusterPort()+n+5)
}

// haReplicas turns the plane into `make up HA=3`'s: it starts the 3-member
// etcd cluster with hack/local-etcd-cluster.sh, restarts the plane's
// capstan-apiserver with --sharding on that cluster (--etcd-servers listing
// every member, TLS client certificate) and starts replicas 2 and 3 with
// hack/local-replica.sh, which picks the running cluster. Short Leases make
// the Applications of a stopped replica move within seconds. At the end the
// replicas and the etcd cluster stop, and the first replica is restarted as
// it was (embedded etcd).
// It returns the replicas' names and the flags the first one runs with.
func haReplicas(t *testing.T) (replicas, firstFlags []string) {
	t.Helper()
	const lease = "--replica-lease-duration=6s"
	if err := cluster.script("local-etcd-cluster.sh", "start").Run(); err != nil {
		t.Fatalf("hack/local-etcd-cluster.sh start (logs in %s): %v", filepath.Join(cluster.localDir, "logs"), err)
	}
	replicas = []string{firstReplica, secondReplica, thirdReplica}
	t.Cleanup(func() {
		for _, name := range replicas[1:] {
			if _, err := os.Stat(filepath.Join(cluster.localDir, "pids", name+".pid")); err == nil {
				killReplica(t, name)
			}
		}
		restartCapstanAPIServer(t)
		if err := cluster.script("local-etcd-cluster.sh", "stop").Run(); err != nil {
			t.Errorf("hack/local-etcd-cluster.sh stop: %v", err)
		}
	})
	flagsCmd := cluster.script("local-etcd-cluster.sh", "flags")
	flagsCmd.Stdout = nil
	out, err := flagsCmd.Output()
	if err != nil {
		t.Fatalf("hack/local-etcd-cluster.sh flags: %v", err)
	}
	flags := strings.Fields(string(out))
	if len(flags) != 4 || !strings.HasPrefix(flags[0], "--etcd-servers=https://") || strings.Count(flags[0], ",") != 2 {
		t.Fatalf("capstan-apiserver's flags for the etcd cluster: %q, want --etcd-servers with three https members and the client certificate", flags)
	}
	firstFlags = append(flags, "--sharding", "--replica-name="+firstReplica, lease)
	restartCapstanAPIServer(t, firstFlags...)
	for n := 2; n <= 3; n++ {
		startReplica(t, n, lease)
	}
	waitForReplicaLeases(t, replicas)
	return replicas, firstFlags
}

// startReplica starts capstan-apiserver-N with hack/local-replica.sh, which
// waits until it is ready.
func startReplica(t *testing.T, n int, extra string) {
	t.Helper()
	cmd := cluster.script("local-replica.sh", strconv.Itoa(n))
	cmd.Env = append(cmd.Env, "CAPSTAN_APISERVER_EXTRA_ARGS="+extra)
	if err := cmd.Run(); err != nil {
		t.Fatalf("hack/local-replica.sh %d (log in %s): %v", n, filepath.Join(cluster.localDir, "logs", fmt.Sprintf("capstan-apiserver-%d.log", n)), err)
	}
}

// waitForReplicaLeases waits until every replica named announces itself with a Lease.
func waitForReplicaLeases(t *testing.T, replicas []string) {
	t.Helper()
	eventually(t, restartTimeout, "the replicas "+strings.Join(replicas, ", ")+" to announce themselves with a Lease", func() (bool, error) {
		out, err := tryKubectl("get", "leases", "-n", "capstan-system", "-l", sharding.ReplicaLabel,
			"-o", `jsonpath={range .items[*]}{.metadata.labels.capstan\.dev/replica}{" "}{end}`)
		if err != nil {
			return false, err
		}
		for _, name := range replicas {
			if !strings.Contains(" "+out, " "+name+" ") {
				return false, fmt.Errorf("replica Leases %q", out)
			}
		}
		return true, nil
	})
}

// stopProcess sends sig to the process NAME recorded in pids/ and waits until it exits.
func stopProcess(t *testing.T, name string, sig syscall.Signal) {
	t.Helper()
	pidBytes, err := os.ReadFile(filepath.Join(cluster.localDir, "pids", name+".pid"))
	if err != nil {
		t.Fatalf("read %s's pid: %v", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(pidBytes)))
	if err != nil {
		t.Fatalf("%s's pid %q: %v", name, pidBytes, err)
	}
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("signal %s: %v", name, err)
	}
	eventually(t, restartTimeout, name+" to exit", func() (bool, error) {
		state, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err != nil || strings.Contains(string(state), ") Z "), fmt.Errorf("pid %d still runs", pid)
	})
}

// etcdHTTP reads the members' plain-HTTP endpoints.
var etcdHTTP = &http.Client{Timeout: 5 * time.Second}

// etcdLeader is the member (1..3) that reports itself as the Raft leader.
func etcdLeader(t *testing.T) int {
	t.Helper()
	leader := 0
	eventually(t, compareTimeout, "the etcd cluster to have a leader", func() (bool, error) {
		for n := 1; n <= 3; n++ {
			resp, err := etcdHTTP.Get(etcdMemberMetricsURL(n) + "/metrics")
			if err != nil {
				continue
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && strings.Contains(string(body), "\netcd_server_is_leader 1\n") {
				leader = n
				return true, nil
			}
		}
		return false, fmt.Errorf("no member reports etcd_server_is_leader 1")
	})
	return leader
}

// slowWaves are threeWaves with a wave 1 that holds the operation for 20 s,
// long enough for a replica to be restarted in the middle of it.
func slowWaves() string {
	return strings.Replace(threeWaves(), `capstan.dev/kwok-ready-after: "8s"`, `capstan.dev/kwok-ready-after: "20s"`, 1)
}

// TestReplicasOverAnEtcdCluster runs the HA plane of `make up HA=3`: three
// sharded replicas of capstan-apiserver over a 3-member etcd cluster.
func TestReplicasOverAnEtcdCluster(t *testing.T) {
	requireCapstanAPIServer(t)
	replicas, firstFlags := haReplicas(t)

	t.Run("the API keeps serving and a sync goes on when the etcd leader dies", func(t *testing.T) {
		ns := createNamespace(t)
		repo := newGitRepo(t, map[string]string{"app/configmap.yaml": syncWave(0, "ConfigMap", "survivor", "data:\n  etcd: two-of-three\n")})
		leader := etcdLeader(t)
		member := etcdMembers[leader-1]
		stopProcess(t, member, syscall.SIGKILL)
		t.Cleanup(func() {
			if err := cluster.script("local-etcd-cluster.sh", "start", strconv.Itoa(leader)).Run(); err != nil {
				t.Errorf("restart %s: %v", member, err)
			}
		})
		// Through the aggregator, as a user: a create and a get are served
		// by the two members left (the client fails over to them).
		eventually(t, compareTimeout, "an Application to be created with "+member+" dead", func() (bool, error) {
			_, err := tryKubectlWithInput(guestbookApplication(ns, repo.URL, "app"), "apply", "-f", "-")
			return err == nil, err
		})
		if got := kubectl(t, "get", "app", "guestbook", "-n", ns, "-o", "jsonpath={.spec.source.path}"); got != "app" {
			t.Fatalf("the Application read back with %s dead has the path %q, want app", member, got)
		}
		waitForAppState(t, ns, "OutOfSync", "Missing")
		kubectl(t, "create", "sync", "guestbook", "-n", ns)
		eventually(t, syncTimeout, "the sync to succeed with "+member+" dead", func() (bool, error) {
			got := mustAppField(t, ns, "guestbook", "{.status.sync.status} {.status.operationState.phase}")
			return got == "Synced Succeeded", fmt.Errorf("sync and operation: %q", got)
		})
		if got := kubectl(t, "get", "configmap", "survivor", "-n", ns, "-o", "jsonpath={.data.etcd}"); got != "two-of-three" {
			t.Errorf("the synced ConfigMap holds %q", got)
		}
	})

	t.Run("a rolling restart of every replica loses no operation", func(t *testing.T) {
		// The rolling restart needs the whole etcd cluster again.
		for n := 1; n <= 3; n++ {
			n := n
			eventually(t, restartTimeout, fmt.Sprintf("etcd member %d to be ready", n), func() (bool, error) {
				resp, err := etcdHTTP.Get(etcdMemberMetricsURL(n) + "/readyz")
				if err != nil {
					return false, err
				}
				resp.Body.Close()
				return resp.StatusCode == http.StatusOK, fmt.Errorf("/readyz: %s", resp.Status)
			})
		}
		repo := newGitRepo(t, map[string]string{"waves/all.yaml": slowWaves()})
		var namespaces []string
		for range 4 {
			ns := createNamespace(t)
			namespaces = append(namespaces, ns)
			kubectlWithInput(t, guestbookApplication(ns, repo.URL, "waves"), "apply", "-f", "-")
		}
		for _, ns := range namespaces {
			eventually(t, compareTimeout, "the Application of "+ns+" to be compared", func() (bool, error) {
				got := mustAppField(t, ns, "guestbook", "{.status.sync.status}")
				return got == "OutOfSync", fmt.Errorf("sync status %q", got)
			})
			kubectl(t, "create", "sync", "guestbook", "-n", ns)
		}
		// One replica at a time, as a StatefulSet's rolling update does: stop
		// it gracefully, start it again, and wait until it is ready and has
		// announced itself before the next one.
		for i, name := range replicas {
			if i == 0 {
				restartCapstanAPIServerWith(t, syscall.SIGTERM, firstFlags...)
			} else {
				stopProcess(t, name, syscall.SIGTERM)
				startReplica(t, i+1, "--replica-lease-duration=6s")
			}
			waitForReplicaLeases(t, replicas)
		}
		for _, ns := range namespaces {
			eventually(t, syncTimeout, "the operation of "+ns+" to succeed and the Application to be Synced", func() (bool, error) {
				got := mustAppField(t, ns, "guestbook", "{.status.sync.status} {.status.operationState.phase}")
				if strings.HasSuffix(got, " Failed") || strings.HasSuffix(got, " Error") {
					t.Fatalf("the operation of %s ended %s: %s", ns, got, mustAppField(t, ns, "guestbook", "{.status.operationState.message}"))
				}
				return got == "Synced Succeeded", fmt.Errorf("sync and operation: %q", got)
			})
			if history := mustAppField(t, ns, "guestbook", "{range .status.history[*]}{.id}{\" \"}{end}"); len(strings.Fields(history)) != 1 {
				t.Errorf("%s has the sync history %q, want the one sync", ns, history)
			}
			checkWaveOrder(t, ns)
		}
	})
}
