// Command capstan-bench runs the scale benchmark of `make bench` (issue #7)
// against a local control plane that hack/bench.sh has started: it generates
// one Git repository with the workload, serves it over smart HTTP on
// loopback, runs each scenario next to its floor measured in the same run,
// and prints one line per figure. It also writes results.json and
// latency.png into --out.
//
// Scenarios, in order: cold sync, idle (with the Git request counts), drift,
// commit, read. With --list-only (`make bench-list`) the run is the read
// scenario alone, at any scale, over Applications stored with the status a
// cold sync leaves (list.go). With --replicas=N (N > 1, `make bench HA=3`) the plane runs N
// sharded replicas (replicas.go): a cold sync by one replica comes first and
// is compared with the ordinary one, and the takeover of a killed replica's
// Applications comes last. A scenario that does not reach its end state within its limit
// reports what it reached, and the run continues.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// config holds the knobs of one run.
type config struct {
	kubeconfig string
	localDir   string // CAPSTAN_LOCAL_DIR of the plane
	binDir     string // kubectl lives here
	outDir     string // results.json, latency.png, the Git repository
	apps       int
	objects    int
	workers    int // parallel clients of the floors and of creating Applications
	coldLimit  time.Duration
	idle       time.Duration
	resync     time.Duration // capstan-apiserver's --app-resync
	drift      time.Duration
	commits    int
	reads      int
	// HA runs: the plane's sharded replicas and their Lease duration.
	replicas      int
	leaseDuration time.Duration
	hackDir       string // hack/local-replica.sh restarts replicas
	// soak, when set, runs `make soak` for that long instead of the benchmark.
	soak time.Duration
	// listOnly runs `make bench-list`: Applications stored with a synced
	// status and listed, on a plane whose capstan-apiserver runs no controllers.
	listOnly bool
	// coldProfile, when set, profiles capstan-apiserver's CPU for this long
	// from the start of its cold sync (_output/bench/cold-cpu.pb.gz).
	coldProfile time.Duration
	// driftProfile profiles capstan-apiserver's CPU through the drift
	// scenario.
	driftProfile bool
	// idleProfile profiles capstan-apiserver's CPU through the whole idle
	// window, in consecutive profiles (their requests count in the window).
	idleProfile bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.kubeconfig, "kubeconfig", "", "admin kubeconfig of the local control plane")
	flag.StringVar(&cfg.localDir, "local-dir", "", "CAPSTAN_LOCAL_DIR of the plane (pids, logs)")
	flag.StringVar(&cfg.binDir, "bin-dir", "_output/bin", "directory holding kubectl")
	flag.StringVar(&cfg.outDir, "out", "_output/bench", "directory for results.json, latency.png and the Git repository")
	flag.IntVar(&cfg.apps, "apps", 1000, "number of Applications")
	flag.IntVar(&cfg.objects, "objects", 10, "objects per Application (at least 2)")
	flag.IntVar(&cfg.workers, "workers", 32, "parallel requests of the floor clients")
	flag.DurationVar(&cfg.coldLimit, "cold-limit", 0, "time limit of the cold sync (0: 3m + 1.2s per app)")
	flag.DurationVar(&cfg.idle, "idle", 10*time.Minute, "length of the idle window")
	flag.DurationVar(&cfg.resync, "resync", 180*time.Second, "capstan-apiserver's --app-resync, to count Git requests per refresh interval")
	flag.DurationVar(&cfg.drift, "drift", time.Minute, "length of the drift window (one patch per second)")
	flag.IntVar(&cfg.commits, "commits", 20, "number of commits in the commit scenario")
	flag.IntVar(&cfg.reads, "reads", 20, "number of kubectl runs in the read scenario")
	flag.IntVar(&cfg.replicas, "replicas", 1, "sharded replicas of capstan-apiserver on the plane (hack/local-up.sh's CAPSTAN_HA_REPLICAS)")
	flag.DurationVar(&cfg.leaseDuration, "replica-lease-duration", 15*time.Second, "the replicas' --replica-lease-duration")
	flag.StringVar(&cfg.hackDir, "hack-dir", "hack", "the repository's hack directory, for local-replica.sh")
	flag.DurationVar(&cfg.soak, "soak", 0, "run the soak (make soak) for this long instead of the benchmark's scenarios")
	flag.BoolVar(&cfg.listOnly, "list-only", false, "run `make bench-list` instead of the benchmark's scenarios: store --apps Applications with a synced status (capstan-apiserver without controllers) and time listing them")
	flag.BoolVar(&cfg.driftProfile, "drift-profile", false, "profile capstan-apiserver's CPU through the drift scenario (at most 55s), into drift-cpu.pb.gz")
	flag.BoolVar(&cfg.idleProfile, "idle-profile", false, "profile capstan-apiserver's CPU through the idle window, in consecutive profiles of at most 55s (idle-window-cpu-N.pb.gz); their requests count in the window's")
	flag.DurationVar(&cfg.coldProfile, "cold-profile", 0, "profile capstan-apiserver's CPU for this long (at most 55s) from the start of its cold sync, into cold-cpu.pb.gz (0: no profile)")
	flag.Parse()
	if err := cfg.validate(); err != nil {
		fmt.Fprintf(os.Stderr, "capstan-bench: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "capstan-bench: %v\n", err)
		os.Exit(1)
	}
}

func (c *config) validate() error {
	if c.kubeconfig == "" || c.localDir == "" {
		return fmt.Errorf("--kubeconfig and --local-dir are required")
	}
	if c.apps < 3 {
		return fmt.Errorf("--apps=%d: need at least 3 (one of each flavour)", c.apps)
	}
	if c.objects < 2 {
		return fmt.Errorf("--objects=%d: need at least 2 (a ConfigMap and a Deployment)", c.objects)
	}
	if c.replicas < 1 || c.replicas > 9 {
		return fmt.Errorf("--replicas=%d: must be 1..9", c.replicas)
	}
	if c.coldLimit == 0 {
		c.coldLimit = 3*time.Minute + time.Duration(c.apps)*1200*time.Millisecond
	}
	return nil
}

// scenario is one measured step of the run.
type scenario struct {
	name string
	run  func(context.Context, *environment, *report) error
}

// run prepares the workload and runs every scenario; a failing scenario is
// reported and the next one still runs.
func run(ctx context.Context, cfg config) error {
	started := time.Now()
	env, err := newEnvironment(ctx, cfg)
	if err != nil {
		return err
	}
	defer env.close()

	results := &report{Apps: cfg.apps, Objects: cfg.objects, Started: started}
	scenarios := []scenario{
		{"cold sync", runColdSync},
		{"idle", runIdle},
		{"drift", runDrift},
		{"commit", runCommit},
		{"read", runRead},
	}
	if cfg.replicas > 1 {
		scenarios = append([]scenario{{"cold sync, 1 replica", runSingleReplicaColdSync}, scenarios[0],
			{"replicas", runReplicaComparison}}, scenarios[1:]...)
		scenarios = append(scenarios, scenario{"takeover", runTakeover})
	}
	if cfg.soak > 0 {
		scenarios = []scenario{{"cold sync", runSoakColdSync}, {"soak", runSoak}}
	}
	if cfg.listOnly {
		scenarios = []scenario{{"list", runListOnly}}
	}
	for _, scenario := range scenarios {
		if ctx.Err() != nil {
			break
		}
		logf("scenario %s", scenario.name)
		if err := scenario.run(ctx, env, results); err != nil {
			logf("scenario %s failed: %v", scenario.name, err)
			results.Failures = append(results.Failures, fmt.Sprintf("%s: %v", scenario.name, err))
		}
	}
	results.Duration = time.Since(started).Seconds()
	results.print(os.Stdout)
	if err := results.writeJSON(filepath.Join(cfg.outDir, "results.json")); err != nil {
		return err
	}
	if err := writeChart(filepath.Join(cfg.outDir, "latency.png"), results.Distributions); err != nil {
		return err
	}
	fmt.Printf("\nresults: %s\nchart:   %s\n", filepath.Join(cfg.outDir, "results.json"), filepath.Join(cfg.outDir, "latency.png"))
	if cfg.soak > 0 && len(results.Failures) > 0 {
		return fmt.Errorf("the soak failed: %s", strings.Join(results.Failures, "; "))
	}
	return ctx.Err()
}

// logf prints progress to stderr with the wall-clock time.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[bench %s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
