// Package e2e tests Capstan against a real local control plane (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, kwok and
// capstan-apiserver) with the real kubectl, all built into _output/bin by
// `make tools build`.
//
// TestMain starts its own plane with hack/local-up.sh in a temporary
// CAPSTAN_LOCAL_DIR and on its own CAPSTAN_PORT_BASE, so it runs next to a
// `make up` plane, and stops it with hack/local-down.sh at the end. Without
// the binaries the package is skipped, unless CAPSTAN_E2E=1 (set by
// `make test-e2e`) makes that a failure.
//
// Settings: CAPSTAN_E2E_PORT_BASE fixes the port base (default: the first free
// one of 29000, 30000, ...); CAPSTAN_E2E_KEEP=1 keeps the plane's directory
// (logs, kubeconfig) after a successful run; CAPSTAN_SKIP_APISERVER=1 runs
// without capstan-apiserver and skips the tests that need it.
package e2e

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
)

// plane describes the local control plane the tests run against.
type plane struct {
	rootDir    string // repository root
	binDir     string // _output/bin
	localDir   string // CAPSTAN_LOCAL_DIR of this run
	kubeconfig string // admin kubeconfig
	portBase   int
}

// cluster is the plane started by TestMain.
var cluster plane

// exitPortsInUse is hack/local-up.sh's exit code when a port is taken.
const exitPortsInUse = 2

// requiredBinaries are what hack/local-up.sh starts, plus kubectl for the tests.
var requiredBinaries = []string{
	"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kubectl",
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	rootDir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	cluster = plane{rootDir: rootDir, binDir: filepath.Join(rootDir, "_output", "bin")}
	if missing := cluster.missingBinaries(); len(missing) > 0 {
		msg := fmt.Sprintf("e2e: missing %v in %s: run `make tools build` (or `make test-e2e`)", missing, cluster.binDir)
		if os.Getenv("CAPSTAN_E2E") == "1" {
			fmt.Fprintln(os.Stderr, msg)
			return 1
		}
		fmt.Fprintln(os.Stderr, msg+"; skipping the e2e tests")
		return 0
	}

	cluster.localDir, err = os.MkdirTemp("", "capstan-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	cluster.kubeconfig = filepath.Join(cluster.localDir, "kubeconfig")

	var stopOnce sync.Once
	stop := func(keep bool) {
		stopOnce.Do(func() { cluster.stop(keep) })
	}
	stopOnInterrupt(stop)
	stopBeforeTestTimeout(stop)

	if err := cluster.start(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: starting the local control plane: %v\n", err)
		cluster.printLogTails()
		stop(true)
		return 1
	}
	code := m.Run()
	if code != 0 {
		cluster.printLogTails()
	}
	stop(code != 0 || os.Getenv("CAPSTAN_E2E_KEEP") == "1")
	return code
}

func (p *plane) missingBinaries() []string {
	names := requiredBinaries
	if !skipCapstanAPIServer() {
		names = append(names, "capstan-apiserver")
	}
	var missing []string
	for _, name := range names {
		if _, err := os.Stat(filepath.Join(p.binDir, name)); err != nil {
			missing = append(missing, name)
		}
	}
	return missing
}

// start runs hack/local-up.sh, trying port bases until one is free.
func (p *plane) start() error {
	// Below 32768: ports from there on are the kernel's ephemeral ports,
	// which any outgoing connection may hold when a component binds.
	bases := []int{29000, 30000, 31000, 23000, 24000, 25000}
	if fixed := os.Getenv("CAPSTAN_E2E_PORT_BASE"); fixed != "" {
		base, err := strconv.Atoi(fixed)
		if err != nil {
			return fmt.Errorf("CAPSTAN_E2E_PORT_BASE=%q: %w", fixed, err)
		}
		bases = []int{base}
	}
	for _, base := range bases {
		p.portBase = base
		started := time.Now()
		err := p.script("local-up.sh").Run()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) && exitErr.ExitCode() == exitPortsInUse {
			fmt.Fprintf(os.Stderr, "e2e: ports of base %d are busy, trying the next base\n", base)
			continue
		}
		if err != nil {
			return fmt.Errorf("hack/local-up.sh (logs in %s): %w", filepath.Join(p.localDir, "logs"), err)
		}
		fmt.Fprintf(os.Stderr, "e2e: local control plane up in %s (CAPSTAN_LOCAL_DIR=%s, CAPSTAN_PORT_BASE=%d)\n",
			time.Since(started).Round(100*time.Millisecond), p.localDir, base)
		return nil
	}
	return fmt.Errorf("no free port base among %v", bases)
}

// stop runs hack/local-down.sh; keep leaves the plane's directory for inspection.
func (p *plane) stop(keep bool) {
	args := []string{"--purge"}
	if keep {
		args = nil
	}
	if err := p.script("local-down.sh", args...).Run(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: hack/local-down.sh: %v\n", err)
	}
	if keep {
		fmt.Fprintf(os.Stderr, "e2e: kept the local control plane's files (logs, kubeconfig) in %s\n", p.localDir)
	}
}

// printLogTails prints the end of every component's log, so that a failed CI
// run, whose temporary directory is gone afterwards, shows what the servers saw.
func (p *plane) printLogTails() {
	const maxBytes = 8 << 10
	logs, _ := filepath.Glob(filepath.Join(p.localDir, "logs", "*.log"))
	for _, path := range logs {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if len(data) > maxBytes {
			data = data[len(data)-maxBytes:]
		}
		fmt.Fprintf(os.Stderr, "\n=== e2e: end of %s ===\n%s\n", path, data)
	}
}

// pluginSocketsDir is the --plugin-sockets-dir of capstan-apiserver, where
// tests start plugin runners as a sidecar would.
func (p *plane) pluginSocketsDir() string {
	return filepath.Join(p.localDir, "plugins")
}

// script prepares hack/NAME for this plane, with its output on stderr.
func (p *plane) script(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.rootDir, "hack", name), args...)
	cmd.Dir = p.rootDir
	cmd.Env = append(os.Environ(),
		// The plugins of test/e2e/testdata/plugins run as subprocesses of
		// capstan-apiserver; tests start sidecar runners in pluginSocketsDir.
		// RollingSync ApplicationSets need progressive syncs; the others are
		// not affected by the flag. Flags given by the caller come later and win.
		"CAPSTAN_APISERVER_EXTRA_ARGS=--enable-progressive-syncs"+
			" --plugin-configs-dir="+filepath.Join(p.rootDir, "test", "e2e", "testdata", "plugins")+" --plugin-timeout=5s"+
			" --plugin-sockets-dir="+p.pluginSocketsDir()+" "+os.Getenv("CAPSTAN_APISERVER_EXTRA_ARGS"),
		"CAPSTAN_LOCAL_DIR="+p.localDir,
		"CAPSTAN_BIN_DIR="+p.binDir,
		"CAPSTAN_PORT_BASE="+strconv.Itoa(p.portBase),
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
		fmt.Fprintf(os.Stderr, "e2e: %v: stopping the local control plane\n", sig)
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
		fmt.Fprintf(os.Stderr, "e2e: the test timeout (%s) is near: stopping the local control plane\n", timeout)
		stop(true)
	})
}

func skipCapstanAPIServer() bool { return os.Getenv("CAPSTAN_SKIP_APISERVER") == "1" }
