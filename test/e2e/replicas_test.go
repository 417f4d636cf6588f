package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"capstan.dev/capstan/pkg/sharding"
)

// The replicas of the sharded plane: the plane's own capstan-apiserver
// (behind the APIService, holding the embedded etcd) and a second one that
// hack/local-replica.sh starts against that etcd.
const (
	firstReplica  = "capstan-apiserver-1"
	secondReplica = "capstan-apiserver-2"
)

// shardedReplicas restarts the plane's capstan-apiserver with --sharding and
// starts a second replica against its etcd; both renew short Leases, so a
// dead replica's Applications move within seconds. At the end the second
// replica is stopped and the first restarted as it was.
func shardedReplicas(t *testing.T) {
	t.Helper()
	const lease = "--replica-lease-duration=6s"
	restartCapstanAPIServer(t, "--sharding", "--replica-name="+firstReplica, lease)
	t.Cleanup(func() {
		killReplica(t, secondReplica)
		restartCapstanAPIServer(t)
	})
	cmd := cluster.script("local-replica.sh", "2")
	cmd.Env = append(cmd.Env, "CAPSTAN_APISERVER_EXTRA_ARGS="+lease)
	if err := cmd.Run(); err != nil {
		t.Fatalf("hack/local-replica.sh 2 (log in %s): %v", filepath.Join(cluster.localDir, "logs", secondReplica+".log"), err)
	}
	eventually(t, restartTimeout, "both replicas to announce themselves with a Lease", func() (bool, error) {
		out, err := tryKubectl("get", "leases", "-n", "capstan-system", "-l", sharding.ReplicaLabel,
			"-o", `jsonpath={range .items[*]}{.metadata.labels.capstan\.dev/replica}{" "}{end}`)
		return err == nil && strings.Contains(out, firstReplica) && strings.Contains(out, secondReplica),
			fmt.Errorf("replica Leases %q: %v", out, err)
	})
}

// killReplica kills capstan-apiserver-N recorded in pids/ with SIGKILL and
// waits until it is gone.
func killReplica(t *testing.T, name string) {
	t.Helper()
	stopProcess(t, name, syscall.SIGKILL)
}

// namedApplication is guestbookApplication named name.
func namedApplication(namespace, name, repoURL, path string) string {
	return strings.Replace(guestbookApplication(namespace, repoURL, path), "name: guestbook", "name: "+name, 1)
}

// mustAppField reads one field of an Application, failing the test when it cannot.
func mustAppField(t *testing.T, namespace, name, jsonpath string) string {
	t.Helper()
	out, err := tryKubectl("get", "app", name, "-n", namespace, "-o", "jsonpath="+jsonpath)
	if err != nil {
		t.Fatalf("get application %s/%s: %v", namespace, name, err)
	}
	return out
}

// TestAReplicaTakesOverTheOperationOfAReplicaThatDied runs two sharded
// replicas over one etcd: the Applications are spread over both (the owner
// each computes is the one the rendezvous policy gives), then the owner of an
// Application is killed with SIGKILL in the middle of wave 2 of 3 of its sync,
// and the other replica finishes the operation in order from the persisted
// step: wave 1's Deployment keeps its UID, every Application ends Synced with
// one sync in its history, none lost, none synced twice.
func TestAReplicaTakesOverTheOperationOfAReplicaThatDied(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	shardedReplicas(t)

	replicas := []string{firstReplica, secondReplica}
	owner := func(name string) string { return sharding.Rendezvous{}.Owner(sharding.KeyOf(ns, name), replicas) }
	// Two Applications of each replica; the first of the second replica's
	// is the one whose sync is interrupted.
	var victim string
	var apps []string
	perReplica := map[string]int{}
	for i := 0; len(apps) < 4 && i < 100; i++ {
		name := fmt.Sprintf("app-%d", i)
		if perReplica[owner(name)] == 2 {
			continue
		}
		perReplica[owner(name)]++
		apps = append(apps, name)
		if victim == "" && owner(name) == secondReplica {
			victim = name
		}
	}

	files := map[string]string{"waves/all.yaml": threeWaves()}
	for _, name := range apps {
		if name != victim {
			files[name+"/configmap.yaml"] = syncWave(0, "ConfigMap", name, "data:\n  app: "+name+"\n")
		}
	}
	repo := newGitRepo(t, files)
	for _, name := range apps {
		path := name
		if name == victim {
			path = "waves"
		}
		kubectlWithInput(t, namedApplication(ns, name, repo.URL, path), "apply", "-f", "-")
	}

	t.Run("each Application is owned by the replica the policy gives it, and only by it", func(t *testing.T) {
		for _, name := range apps {
			eventually(t, compareTimeout, "the owner of "+name+" to be recorded", func() (bool, error) {
				got := mustAppField(t, ns, name, `{.metadata.annotations.capstan\.dev/shard-owner}`)
				return got == owner(name), fmt.Errorf("owner %q, want %q", got, owner(name))
			})
			eventually(t, compareTimeout, name+" to be compared", func() (bool, error) {
				got := mustAppField(t, ns, name, "{.status.sync.status}")
				return got == "OutOfSync", fmt.Errorf("sync status %q", got)
			})
		}
	})

	for _, name := range apps {
		kubectl(t, "create", "sync", name, "-n", ns)
	}
	eventually(t, syncTimeout, "wave 1 of "+victim+" to be applied and waited for", func() (bool, error) {
		_, errOne := tryKubectl("get", "deployment", "wave-one", "-n", ns)
		_, errTwo := tryKubectl("get", "configmap", "wave-two", "-n", ns)
		return errOne == nil && errTwo != nil, fmt.Errorf("wave one: %v; wave two: %v", errOne, errTwo)
	})
	if claim := mustAppField(t, ns, victim, `{.metadata.annotations.capstan\.dev/operation-claim}`); !strings.Contains(claim, `"replica":"`+secondReplica+`"`) {
		t.Fatalf("the operation of %s is claimed by %q, want %s", victim, claim, secondReplica)
	}
	uid := kubectl(t, "get", "deployment", "wave-one", "-n", ns, "-o", "jsonpath={.metadata.uid}")
	killReplica(t, secondReplica)

	t.Run("the surviving replica finishes the interrupted operation in order", func(t *testing.T) {
		eventually(t, syncTimeout, "the taken-over operation to succeed", func() (bool, error) {
			phase := mustAppField(t, ns, victim, "{.status.operationState.phase}")
			if phase == "Failed" || phase == "Error" {
				t.Fatalf("operation %s: %s", phase, mustAppField(t, ns, victim, "{.status.operationState.message}"))
			}
			return phase == "Succeeded", fmt.Errorf("phase %q", phase)
		})
		if claim := mustAppField(t, ns, victim, `{.metadata.annotations.capstan\.dev/operation-claim}`); !strings.Contains(claim, `"replica":"`+firstReplica+`"`) {
			t.Errorf("the finished operation is claimed by %q, want %s", claim, firstReplica)
		}
		if after := kubectl(t, "get", "deployment", "wave-one", "-n", ns, "-o", "jsonpath={.metadata.uid}"); after != uid {
			t.Errorf("wave 1's Deployment was created again after the takeover (uid %s, then %s)", uid, after)
		}
		checkWaveOrder(t, ns)
	})

	t.Run("every Application is Synced once and owned by the surviving replica", func(t *testing.T) {
		for _, name := range apps {
			eventually(t, syncTimeout, name+" to be Synced and owned by "+firstReplica, func() (bool, error) {
				got := mustAppField(t, ns, name, `{.status.sync.status} {.status.operationState.phase} {.metadata.annotations.capstan\.dev/shard-owner}`)
				return got == "Synced Succeeded "+firstReplica, fmt.Errorf("sync, operation and owner: %q", got)
			})
			if history := mustAppField(t, ns, name, "{range .status.history[*]}{.id}{\" \"}{end}"); len(strings.Fields(history)) != 1 {
				t.Errorf("%s has the sync history %q, want one sync", name, history)
			}
		}
	})
}
