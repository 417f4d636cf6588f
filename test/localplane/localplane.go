// Package localplane runs a package's tests against a real kube-apiserver:
// the local control plane of hack/local-up.sh (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok, so Jobs complete and
// Deployments become Available), without capstan-apiserver.
//
// Run starts its own plane in a temporary CAPSTAN_LOCAL_DIR, on the first
// free port base of Options.PortBases, and stops it with hack/local-down.sh
// --purge (keeping its files when a test failed). Without the binaries in
// _output/bin (`make tools`) the tests are skipped, unless CAPSTAN_E2E=1
// makes that a failure.
package localplane

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

// Options say where the plane's scripts are and which ports it may use.
type Options struct {
	// Name prefixes the messages, e.g. "synctest".
	Name string
	// RootDir is the repository root, relative to the test's directory.
	RootDir string
	// PortBases are tried in order for CAPSTAN_PORT_BASE; packages that may
	// run at the same time use different ones.
	PortBases []int
}

// exitPortsInUse is hack/local-up.sh's exit code when a port is taken.
const exitPortsInUse = 2

var requiredBinaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kubectl"}

type plane struct {
	Options
	binDir, localDir string
	portBase         int
}

// Run starts the plane, hands its cluster-admin config to setConfig, runs
// the tests and stops the plane. Call it from TestMain after flag.Parse and
// pass its result to os.Exit.
func Run(m *testing.M, opts Options, setConfig func(*rest.Config)) int {
	rootDir, err := filepath.Abs(opts.RootDir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", opts.Name, err)
		return 1
	}
	p := &plane{Options: opts, binDir: filepath.Join(rootDir, "_output", "bin")}
	p.RootDir = rootDir
	if missing := p.missingBinaries(); len(missing) > 0 {
		msg := fmt.Sprintf("%s: missing %v in %s: run `make tools`", p.Name, missing, p.binDir)
		if os.Getenv("CAPSTAN_E2E") == "1" {
			fmt.Fprintln(os.Stderr, msg)
			return 1
		}
		fmt.Fprintln(os.Stderr, msg+"; skipping the tests against a real kube-apiserver")
		return 0
	}
	if p.localDir, err = os.MkdirTemp("", "capstan-"+p.Name+"-"); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", p.Name, err)
		return 1
	}
	var once sync.Once
	stop := func(keep bool) { once.Do(func() { p.stop(keep) }) }
	p.stopOnInterrupt(stop)
	p.stopBeforeTestTimeout(stop)

	if err := p.start(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: starting the local control plane: %v\n", p.Name, err)
		stop(true)
		return 1
	}
	config, err := clientcmd.BuildConfigFromFlags("", filepath.Join(p.localDir, "kubeconfig"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", p.Name, err)
		stop(true)
		return 1
	}
	config.QPS, config.Burst = 200, 400
	setConfig(config)
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
	for _, base := range p.PortBases {
		p.portBase = base
		err := p.script("local-up.sh").Run()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) && exitErr.ExitCode() == exitPortsInUse {
			fmt.Fprintf(os.Stderr, "%s: ports of base %d are busy, trying the next base\n", p.Name, base)
			continue
		}
		if err != nil {
			return fmt.Errorf("hack/local-up.sh (logs in %s): %w", filepath.Join(p.localDir, "logs"), err)
		}
		return nil
	}
	return fmt.Errorf("no free port base among %v", p.PortBases)
}

// stop runs hack/local-down.sh; keep leaves the plane's files for inspection.
func (p *plane) stop(keep bool) {
	var args []string
	if !keep {
		args = []string{"--purge"}
	}
	if err := p.script("local-down.sh", args...).Run(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: hack/local-down.sh: %v\n", p.Name, err)
	}
	if keep {
		fmt.Fprintf(os.Stderr, "%s: kept the local control plane's files (logs, kubeconfig) in %s\n", p.Name, p.localDir)
	}
}

func (p *plane) script(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.RootDir, "hack", name), args...)
	cmd.Dir = p.RootDir
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
func (p *plane) stopOnInterrupt(stop func(keep bool)) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		fmt.Fprintf(os.Stderr, "%s: %v: stopping the local control plane\n", p.Name, sig)
		stop(true)
		os.Exit(1)
	}()
}

// stopBeforeTestTimeout stops the plane shortly before `go test -timeout`
// panics the binary, which would otherwise leave its processes running.
func (p *plane) stopBeforeTestTimeout(stop func(keep bool)) {
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
		fmt.Fprintf(os.Stderr, "%s: the test timeout (%s) is near: stopping the local control plane\n", p.Name, timeout)
		stop(true)
	})
}
