package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// restartTimeout bounds how long a restarted component takes to serve again.
const restartTimeout = 2 * time.Minute

// componentPID returns the PID hack/local-up.sh (or startComponent) recorded
// for the plane's process name.
func componentPID(t *testing.T, name string) int {
	t.Helper()
	pidBytes, err := os.ReadFile(filepath.Join(cluster.localDir, "pids", name+".pid"))
	if err != nil {
		t.Fatalf("read %s's pid: %v", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(pidBytes)))
	if err != nil {
		t.Fatalf("%s's pid %q: %v", name, pidBytes, err)
	}
	return pid
}

// stopComponent sends sig to the plane's process name and waits until it
// exited. SIGKILL stops work in flight mid-step, as a crash does.
func stopComponent(t *testing.T, name string, sig syscall.Signal) {
	t.Helper()
	pid := componentPID(t, name)
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("kill %s with %v: %v", name, sig, err)
	}
	eventually(t, restartTimeout, "the stopped "+name+" to exit", func() (bool, error) {
		state, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		// Gone, or a zombie its parent has not reaped yet.
		return err != nil || strings.Contains(string(state), ") Z "), fmt.Errorf("pid %d still runs", pid)
	})
}

// startComponent starts the plane's process name again with the command
// line hack/local-up.sh recorded plus extra flags (later flags win), its
// output appended to its log, and records the new process where
// hack/local-down.sh looks for it. It does not wait for it to serve.
func startComponent(t *testing.T, name string, extra ...string) {
	t.Helper()
	cmdline, err := os.ReadFile(filepath.Join(cluster.localDir, name+".cmdline"))
	if err != nil {
		t.Fatalf("read %s's command line: %v", name, err)
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\n"), "\n")
	args = append(args, extra...)
	logFile, err := os.OpenFile(filepath.Join(cluster.localDir, "logs", name+".log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatalf("open %s's log: %v", name, err)
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "\n=== e2e: restarted with %v ===\n", extra)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = cmd.Wait() }() // reap it whenever it exits
	exe, err := filepath.EvalSymlinks(args[0])
	if err != nil {
		t.Fatalf("resolve %s: %v", args[0], err)
	}
	pidDir := filepath.Join(cluster.localDir, "pids")
	for file, content := range map[string]string{name + ".pid": strconv.Itoa(cmd.Process.Pid), name + ".exe": exe} {
		if err := os.WriteFile(filepath.Join(pidDir, file), []byte(content+"\n"), 0o644); err != nil {
			t.Fatalf("record %s: %v", name, err)
		}
	}
}

// restartCapstanAPIServer kills capstan-apiserver with SIGKILL, so that work
// in flight stops mid-step as in a crash, then starts it again with extra
// flags and waits until the aggregated API serves again.
func restartCapstanAPIServer(t *testing.T, extra ...string) {
	t.Helper()
	restartCapstanAPIServerWith(t, syscall.SIGKILL, extra...)
}

// restartCapstanAPIServerWith is restartCapstanAPIServer stopping the server
// with sig: SIGTERM lets it shut down gracefully, as a rolling restart does.
func restartCapstanAPIServerWith(t *testing.T, sig syscall.Signal, extra ...string) {
	t.Helper()
	children := childrenOf(componentPID(t, "capstan-apiserver"))
	stopComponent(t, "capstan-apiserver", sig)
	// Its plugin runners end with it, also when it was killed: the next
	// server starts its own.
	eventually(t, restartTimeout, "the plugin runners of the stopped capstan-apiserver to end", func() (bool, error) {
		var left []int
		for _, pid := range children {
			if state, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !strings.Contains(string(state), ") Z ") {
				left = append(left, pid)
			}
		}
		return len(left) == 0, fmt.Errorf("processes %v still run", left)
	})
	startComponent(t, "capstan-apiserver", extra...)
	waitForCapstanAPI(t)
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	var children []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		stat, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after ")".
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			if child, err := strconv.Atoi(strings.Fields(string(stat))[0]); err == nil {
				children = append(children, child)
			}
		}
	}
	return children
}

// waitForCapstanAPI waits until capstan.dev serves through kube-apiserver's
// aggregator and the APIService is Available, as the other tests expect.
func waitForCapstanAPI(t *testing.T) {
	t.Helper()
	eventually(t, restartTimeout, "capstan.dev to serve through the aggregator", func() (bool, error) {
		if _, err := tryKubectl("get", "applications", "-A", "--request-timeout=5s"); err != nil {
			return false, err
		}
		available, err := tryKubectl("get", "apiservice", "v1alpha1.capstan.dev", "--request-timeout=5s",
			"-o", `jsonpath={.status.conditions[?(@.type=="Available")].status}`)
		return err == nil && available == "True", fmt.Errorf("APIService Available=%q: %v", available, err)
	})
}

// stopKubeAPIServer kills kube-apiserver with SIGKILL: every watch and request
// of the plane's components breaks at once. Until startKubeAPIServer, nothing
// reaches the cluster; should the test end first, it is started again, so
// that the tests after it find a healthy plane.
func stopKubeAPIServer(t *testing.T) {
	t.Helper()
	stopComponent(t, "kube-apiserver", syscall.SIGKILL)
	t.Cleanup(func() {
		if _, err := tryKubectl("get", "--raw", "/readyz", "--request-timeout=5s"); err != nil {
			startKubeAPIServer(t)
		}
	})
}

// startKubeAPIServer starts the stopped kube-apiserver and waits until it is
// ready and capstan.dev is served through it again.
func startKubeAPIServer(t *testing.T) {
	t.Helper()
	startComponent(t, "kube-apiserver")
	eventually(t, restartTimeout, "the restarted kube-apiserver to be ready", func() (bool, error) {
		_, err := tryKubectl("get", "--raw", "/readyz", "--request-timeout=5s")
		return err == nil, err
	})
	if !skipCapstanAPIServer() {
		waitForCapstanAPI(t)
	}
}

func TestAnOperationInterruptedByACrashResumesInOrder(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	manifests := threeWaves()
	repo := newGitRepo(t, map[string]string{"waves/all.yaml": manifests})
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "waves"), "apply", "-f", "-")
	waitForAppState(t, ns, "OutOfSync", "Missing")

	kubectl(t, "create", "sync", "guestbook", "-n", ns)
	eventually(t, syncTimeout, "wave 1 to be applied and waited for", func() (bool, error) {
		_, errOne := tryKubectl("get", "deployment", "wave-one", "-n", ns)
		_, errTwo := tryKubectl("get", "configmap", "wave-two", "-n", ns)
		return errOne == nil && errTwo != nil, fmt.Errorf("wave one: %v; wave two: %v", errOne, errTwo)
	})
	uid := kubectl(t, "get", "deployment", "wave-one", "-n", ns, "-o", "jsonpath={.metadata.uid}")
	restartCapstanAPIServer(t)

	eventually(t, syncTimeout, "the resumed operation to succeed", func() (bool, error) {
		phase := appField(t, ns, "{.status.operationState.phase}")
		if phase == "Failed" || phase == "Error" {
			t.Fatalf("operation %s: %s", phase, appField(t, ns, "{.status.operationState.message}"))
		}
		return phase == "Succeeded", fmt.Errorf("phase %q", phase)
	})
	if after := kubectl(t, "get", "deployment", "wave-one", "-n", ns, "-o", "jsonpath={.metadata.uid}"); after != uid {
		t.Errorf("wave 1's Deployment was created again after the restart (uid %s, then %s)", uid, after)
	}
	checkWaveOrder(t, ns)
	if ready := kubectl(t, "get", "deployment", "wave-one", "-n", ns, "-o", "jsonpath={.status.availableReplicas}"); ready != "1" {
		t.Errorf("wave 2 was applied before wave 1 was healthy (available replicas %q)", ready)
	}
	waitForAppState(t, ns, "Synced", "Healthy")
}

func TestSyncTimeoutTerminatesAHookThatNeverFinishes(t *testing.T) {
	requireCapstanAPIServer(t)
	restartCapstanAPIServer(t, "--sync-timeout=15s")
	t.Cleanup(func() { restartCapstanAPIServer(t) })
	ns := createNamespace(t)
	hook := `apiVersion: batch/v1
kind: Job
metadata:
  name: endless-check
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  template:
    metadata:
      annotations:
        capstan.dev/kwok-complete-after: "3600s"
    spec:
      containers:
      - name: check
        image: busybox
      restartPolicy: Never
`
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources, "guestbook/hook.yaml": hook})
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "guestbook"), "apply", "-f", "-")
	waitForAppState(t, ns, "OutOfSync", "Missing")

	kubectl(t, "create", "sync", "guestbook", "-n", ns)
	eventually(t, syncTimeout, "the operation to fail on the timeout", func() (bool, error) {
		phase := appField(t, ns, "{.status.operationState.phase}")
		return phase == "Failed", fmt.Errorf("phase %q: %s", phase, appField(t, ns, "{.status.operationState.message}"))
	})
	if message := appField(t, ns, "{.status.operationState.message}"); !strings.Contains(message, "terminated") {
		t.Errorf("operation message %q does not say it was terminated", message)
	}
	eventually(t, compareTimeout, "the running hook to be deleted", func() (bool, error) {
		_, err := tryKubectl("get", "job", "endless-check", "-n", ns)
		return err != nil && strings.Contains(err.Error(), "NotFound"), err
	})
	if _, err := tryKubectl("get", "deployment", "guestbook-ui", "-n", ns); err == nil {
		t.Errorf("the Sync phase ran although its PreSync hook never finished")
	}
}

// syncWave is an object of kind named name in sync wave n, with extra
// appended to its manifest.
func syncWave(n int, kind, name, extra string) string {
	return fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n  annotations:\n    argocd.argoproj.io/sync-wave: \"%d\"\n%s",
		map[string]string{"ConfigMap": "v1", "Deployment": "apps/v1"}[kind], kind, name, n, extra)
}

// threeWaves are the manifests of a sync in three waves: wave 1 holds the
// operation for a while (its Deployment becomes Available only after its pod
// has been Pending for 8 s), waves 2 and 3 are ConfigMaps.
func threeWaves() string {
	slowDeployment := `spec:
  replicas: 1
  selector:
    matchLabels:
      app: slow
  template:
    metadata:
      labels:
        app: slow
      annotations:
        capstan.dev/kwok-ready-after: "8s"
    spec:
      containers:
      - name: slow
        image: busybox
`
	return strings.Join([]string{
		syncWave(1, "Deployment", "wave-one", slowDeployment),
		syncWave(2, "ConfigMap", "wave-two", "data:\n  wave: two\n"),
		syncWave(3, "ConfigMap", "wave-three", "data:\n  wave: three\n"),
	}, "---\n")
}

// checkWaveOrder checks that the objects of threeWaves in ns were created
// wave by wave.
func checkWaveOrder(t *testing.T, ns string) {
	t.Helper()
	created := func(kind, name string) time.Time {
		stamp := kubectl(t, "get", kind, name, "-n", ns, "-o", "jsonpath={.metadata.creationTimestamp}")
		at, err := time.Parse(time.RFC3339, stamp)
		if err != nil {
			t.Fatalf("creationTimestamp of %s %s: %v", kind, name, err)
		}
		return at
	}
	one, two, three := created("deployment", "wave-one"), created("configmap", "wave-two"), created("configmap", "wave-three")
	if !(one.Before(two) && !three.Before(two)) {
		t.Errorf("creation order: wave 1 %s, wave 2 %s, wave 3 %s", one, two, three)
	}
}
