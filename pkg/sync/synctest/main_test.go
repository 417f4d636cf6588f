// Package synctest runs the sync engine against a real kube-apiserver: the
// local control plane (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok, so Jobs complete and Deployments become
// Available) started by hack/local-up.sh without capstan-apiserver.
//
// TestMain starts its own plane in a temporary CAPSTAN_LOCAL_DIR, on the
// first free CAPSTAN_PORT_BASE of 40000, 41000, …, and stops it with
// hack/local-down.sh --purge. Without the binaries in _output/bin (`make
// tools`) the package is skipped, unless CAPSTAN_E2E=1 makes that a failure.
package synctest

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// config reaches the plane's kube-apiserver as cluster admin.
var config *rest.Config

// exitPortsInUse is hack/local-up.sh's exit code when a port is taken.
const exitPortsInUse = 2

var requiredBinaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kubectl"}

type plane struct {
	rootDir, binDir, localDir string
	portBase                  int
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	rootDir, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		fmt.Fprintf(os.Stderr, "synctest: %v\n", err)
		return 1
	}
	p := &plane{rootDir: rootDir, binDir: filepath.Join(rootDir, "_output", "bin")}
	if missing := p.missingBinaries(); len(missing) > 0 {
		msg := fmt.Sprintf("synctest: missing %v in %s: run `make tools`", missing, p.binDir)
		if os.Getenv("CAPSTAN_E2E") == "1" {
			fmt.Fprintln(os.Stderr, msg)
			return 1
		}
		fmt.Fprintln(os.Stderr, msg+"; skipping the tests against a real kube-apiserver")
		return 0
	}
	if p.localDir, err = os.MkdirTemp("", "capstan-synctest-"); err != nil {
		fmt.Fprintf(os.Stderr, "synctest: %v\n", err)
		return 1
	}
	var once sync.Once
	stop := func(keep bool) { once.Do(func() { p.stop(keep) }) }
	stopOnInterrupt(stop)
	stopBeforeTestTimeout(stop)

	if err := p.start(); err != nil {
		fmt.Fprintf(os.Stderr, "synctest: starting the local control plane: %v\n", err)
		stop(true)
		return 1
	}
	config, err = clientcmd.BuildConfigFromFlags("", filepath.Join(p.localDir, "kubeconfig"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "synctest: %v\n", err)
		stop(true)
		return 1
	}
	config.QPS, config.Burst = 200, 400
	code := m.Run()
	stop(code != 0)
	return code
}

func (p *plane) missingBinaries() []string {
	var missing []string
	for _, name := range requiredBinaries {
		if _, err := os.Stat(filepath.Join(p.binDir, name)); err != nil {
			missing = append(missing, name)
		}
	}
	return missing
}

// start runs hack/local-up.sh, trying port bases until one is free.
func (p *plane) start() error {
	bases := []int{40000, 41000, 42000, 43000, 44000, 45000}
	for _, base := range bases {
		p.portBase = base
		err := p.script("local-up.sh").Run()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) && exitErr.ExitCode() == exitPortsInUse {
			fmt.Fprintf(os.Stderr, "synctest: ports of base %d are busy, trying the next base\n", base)
			continue
		}
		if err != nil {
			return fmt.Errorf("hack/local-up.sh (logs in %s): %w", filepath.Join(p.localDir, "logs"), err)
		}
		return nil
	}
	return fmt.Errorf("no free port base among %v", bases)
}

// stop runs hack/local-down.sh; keep leaves the plane's files for inspection.
func (p *plane) stop(keep bool) {
	var args []string
	if !keep {
		args = []string{"--purge"}
	}
	if err := p.script("local-down.sh", args...).Run(); err != nil {
		fmt.Fprintf(os.Stderr, "synctest: hack/local-down.sh: %v\n", err)
	}
	if keep {
		fmt.Fprintf(os.Stderr, "synctest: kept the local control plane's files (logs, kubeconfig) in %s\n", p.localDir)
	}
}

func (p *plane) script(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.rootDir, "hack", name), args...)
	cmd.Dir = p.rootDir
	cmd.Env = append(os.Environ(),
		"CAPSTAN_LOCAL_DIR="+p.localDir,
		"CAPSTAN_BIN_DIR="+p.binDir,
		"CAPSTAN_PORT_BASE="+strconv.Itoa(p.portBase),
		"CAPSTAN_SKIP_APISERVER=1",
		"CAPSTAN_KWOK_NODES=1",
	)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	return cmd
}

// stopOnInterrupt stops the plane when the test binary is interrupted, since
// deferred calls do not run then.
func stopOnInterrupt(stop func(keep bool)) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		fmt.Fprintf(os.Stderr, "synctest: %v: stopping the local control plane\n", sig)
		stop(true)
		os.Exit(1)
	}()
}

// stopBeforeTestTimeout stops the plane shortly before `go test -timeout`
// panics the binary, which would otherwise leave its processes running.
func stopBeforeTestTimeout(stop func(keep bool)) {
	timeoutFlag := flag.Lookup("test.timeout")
	if timeoutFlag == nil {
		return
	}
	timeout, err := time.ParseDuration(timeoutFlag.Value.String())
	if err != nil || timeout <= 0 {
		return
	}
	margin := min(time.Minute, timeout/10)
	time.AfterFunc(timeout-margin, func() {
		fmt.Fprintf(os.Stderr, "synctest: the test timeout (%s) is near: stopping the local control plane\n", timeout)
		stop(true)
	})
}
