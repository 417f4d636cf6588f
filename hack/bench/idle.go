package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"
)

// runIdle watches capstan-apiserver through a window in which nothing
// changes: its CPU seconds, RSS, the API requests it sent to kube-apiserver
// (from kube-apiserver's audit log, which hack/bench.sh restricts to the user
// capstan-apiserver) and the requests it sent to the Git server. The floor
// of everything is zero, except Git: one ref listing per refresh interval.
func runIdle(ctx context.Context, env *environment, r *report) error {
	// Start from a settled state: every app Synced (the cold sync may have
	// ended at its limit).
	waitUntil(ctx, time.Minute, time.Second, func() bool {
		synced, _, _ := env.appStates()
		return synced == len(env.apps)
	})
	synced, healthy, _ := env.appStates()
	reached := ""
	if synced < len(env.apps) {
		reached = fmt.Sprintf("window started with %d/%d Synced, %d Healthy", synced, len(env.apps), healthy)
	}
	pid, err := env.capstanPID()
	if err != nil {
		return fmt.Errorf("capstan-apiserver's PID: %w", err)
	}
	before, err := sampleProcess(pid)
	if err != nil {
		return err
	}
	gitBefore := env.git.counts()
	switchesBefore, switchesErr := contextSwitches(pid)
	from := time.Now()
	logf("idle: watching capstan-apiserver (pid %d) for %s", pid, env.cfg.idle)
	profiled := profileIdleWindow(ctx, env, from.Add(env.cfg.idle))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(env.cfg.idle):
	}
	to := time.Now()
	profiled()
	after, err := sampleProcess(pid)
	if err != nil {
		return err
	}
	gitAfter := env.git.counts()
	window := to.Sub(from)
	switchesAfter, err := contextSwitches(pid)
	if switchesErr == nil {
		switchesErr = err
	}

	r.add(figure{Scenario: "idle", Name: fmt.Sprintf("CPU seconds in %s", window.Round(time.Second)), Unit: "s",
		Value: after.CPUSeconds - before.CPUSeconds, FloorNote: "zero: nothing changed", Reached: reached})
	r.add(figure{Scenario: "idle", Name: "CPU share of one core", Unit: "%",
		Value: 100 * (after.CPUSeconds - before.CPUSeconds) / window.Seconds(), FloorNote: "zero"})
	if switchesErr != nil {
		r.Failures = append(r.Failures, fmt.Sprintf("idle: context switches: %v", switchesErr))
	} else {
		r.add(figure{Scenario: "idle", Name: "context switches per second (threads woken)", Unit: "/s",
			Value: float64(switchesAfter-switchesBefore) / window.Seconds(), FloorNote: "zero"})
	}
	r.add(figure{Scenario: "idle", Name: "RSS at the end of the window", Unit: "MiB",
		Value: float64(after.RSSBytes) / mib, FloorNote: noFloor})
	r.add(figure{Scenario: "idle", Name: "RSS at the end, anonymous part (RssAnon: heap, stacks)", Unit: "MiB",
		Value: float64(after.AnonBytes) / mib, FloorNote: noFloor})
	r.add(figure{Scenario: "idle", Name: "peak RSS since start (VmHWM)", Unit: "MiB",
		Value: float64(after.PeakBytes) / mib, FloorNote: noFloor})
	if executable, other, err := fileRSS(pid); err != nil {
		r.Failures = append(r.Failures, fmt.Sprintf("idle: file-backed RSS: %v", err))
	} else {
		r.add(figure{Scenario: "idle", Name: "RSS at the end, the executable's pages", Unit: "MiB",
			Value: float64(executable) / mib, FloorNote: noFloor})
		r.add(figure{Scenario: "idle", Name: "RSS at the end, other files' pages (the embedded etcd's database)", Unit: "MiB",
			Value: float64(other) / mib, FloorNote: noFloor})
	}

	// Give the audit log's writer a moment to flush the window's last events.
	time.Sleep(2 * time.Second)
	requests, byKind, err := countAPIRequests(auditLogPath(env.cfg.localDir), from, to)
	if err != nil {
		r.Failures = append(r.Failures, fmt.Sprintf("idle: API requests: %v", err))
	} else {
		r.add(figure{Scenario: "idle", Name: "API requests to kube-apiserver", Unit: "req",
			Value: float64(requests), FloorNote: "zero (kube-apiserver audit log, user capstan-apiserver)"})
		r.detail("idleRequestsByVerbResource", byKind)
		logTopRequests(byKind)
	}

	// Git: every app refreshes once per resync period (plus jitter); with
	// one repository the floor is one ref listing per period and no fetch
	// when nothing was pushed.
	periods := window.Seconds() / env.cfg.resync.Seconds()
	refLists := float64(gitAfter.RefLists - gitBefore.RefLists)
	fetches := float64(gitAfter.Fetches - gitBefore.Fetches)
	r.detail("gitIdleWindow", map[string]any{"seconds": window.Seconds(), "resyncSeconds": env.cfg.resync.Seconds(),
		"refLists": refLists, "fetches": fetches})
	r.add(figure{Scenario: "git", Name: fmt.Sprintf("ref listings per refresh interval (%s)", env.cfg.resync), Unit: "req",
		Value: refLists / periods, Floor: 1, FloorNote: fmt.Sprintf("one; %.0f in %s", refLists, window.Round(time.Second))})
	r.add(figure{Scenario: "git", Name: "fetches per refresh interval", Unit: "req",
		Value: fetches / periods, Floor: 1, FloorNote: fmt.Sprintf("one; %.0f in %s", fetches, window.Round(time.Second))})

	// What the idle RSS holds, from the Go runtime's own accounting, read
	// after the window for the same reason as the profiles below.
	if err := idleMemory(ctx, env, r); err != nil {
		r.Failures = append(r.Failures, fmt.Sprintf("idle: memory: %v", err))
	}
	// What the idle CPU is spent on: a profile of a further stretch of
	// quiet, taken after the window so that its request (and the
	// SubjectAccessReview that authorizes it) is not counted in it.
	if err := saveIdleProfiles(ctx, env); err != nil {
		r.Failures = append(r.Failures, fmt.Sprintf("idle: profiles: %v", err))
	}
	return nil
}

// idleMemory reports what capstan-apiserver's memory at the end of the idle
// window is made of, by the Go runtime's accounting (its /metrics): heap
// spans in use (live objects, garbage not yet collected and the free space
// of partly used spans), heap memory held but unused (not yet returned to the
// system), goroutine stacks, the runtime's other memory, and the live heap
// after a collection. RSS counts the part of these that is resident, plus
// the binary's pages (RSS minus RssAnon).
func idleMemory(ctx context.Context, env *environment, r *report) error {
	metrics, err := newMetricsClient(env)
	if err != nil {
		return err
	}
	g, err := metrics.gauges(ctx, "go_memstats_heap_inuse_bytes", "go_memstats_heap_idle_bytes", "go_memstats_heap_released_bytes",
		"go_memstats_heap_sys_bytes", "go_memstats_stack_sys_bytes", "go_memstats_stack_inuse_bytes", "go_memstats_sys_bytes", "go_goroutines")
	if err != nil {
		return err
	}
	add := func(name string, bytes float64) {
		r.add(figure{Scenario: "idle", Name: "  " + name, Unit: "MiB", Value: bytes / mib, FloorNote: noFloor})
	}
	add("Go heap spans in use", g["go_memstats_heap_inuse_bytes"])
	add("Go heap held unused (not returned to the system)", g["go_memstats_heap_idle_bytes"]-g["go_memstats_heap_released_bytes"])
	add(fmt.Sprintf("goroutine stacks (%.0f goroutines)", g["go_goroutines"]), g["go_memstats_stack_inuse_bytes"])
	add("Go runtime's other memory (span and GC metadata, buffers)", g["go_memstats_sys_bytes"]-g["go_memstats_heap_sys_bytes"]-g["go_memstats_stack_sys_bytes"])
	live, err := metrics.liveHeap(ctx)
	if err != nil {
		return err
	}
	add("Go live heap after a collection", live)
	// Spans in use right after a collection: the live heap and the free
	// space of spans that still hold a live object (fragmentation).
	inuse, err := metrics.gauge(ctx, "go_memstats_heap_inuse_bytes")
	if err != nil {
		return err
	}
	add("Go heap spans in use after that collection", inuse)
	return nil
}

// profileIdleWindow profiles capstan-apiserver's CPU until end in
// consecutive profiles when IDLE_PROFILE is set; the returned function waits
// for the last to be saved.
func profileIdleWindow(ctx context.Context, env *environment, end time.Time) func() {
	if !env.cfg.idleProfile {
		return func() {}
	}
	metrics, err := newMetricsClient(env)
	if err != nil {
		logf("idle: no window profile: %v", err)
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; ; i++ {
			seconds := int(min(time.Until(end), 55*time.Second) / time.Second)
			if seconds < 1 {
				return
			}
			path := filepath.Join(env.cfg.outDir, fmt.Sprintf("idle-window-cpu-%d.pb.gz", i))
			if err := metrics.saveProfile(ctx, fmt.Sprintf("profile?seconds=%d", seconds), path); err != nil {
				logf("idle: no window profile %d: %v", i, err)
				return
			}
			logf("idle: capstan-apiserver's CPU profile %d of the window (%ds): %s", i, seconds, path)
		}
	}()
	return func() { <-done }
}

// idleProfileSeconds is how long the idle CPU profile runs: below
// capstan-apiserver's 60 s request timeout.
const idleProfileSeconds = 50

// idleTraceSeconds is how long the idle execution trace runs.
const idleTraceSeconds = 10

// saveIdleProfiles writes capstan-apiserver's CPU profile over
// idleProfileSeconds of quiet and its heap profile after a collection.
func saveIdleProfiles(ctx context.Context, env *environment) error {
	metrics, err := newMetricsClient(env)
	if err != nil {
		return err
	}
	cpuPath := filepath.Join(env.cfg.outDir, "idle-cpu.pb.gz")
	logf("idle: profiling capstan-apiserver's CPU for %ds more", idleProfileSeconds)
	if err := metrics.saveProfile(ctx, fmt.Sprintf("profile?seconds=%d", idleProfileSeconds), cpuPath); err != nil {
		return err
	}
	// An execution trace shows what wakes the process while nothing
	// changes (go tool trace -d=parsed): goroutines unblocked by timers,
	// the network and each other.
	tracePath := filepath.Join(env.cfg.outDir, "idle-trace.out")
	if err := metrics.saveProfile(ctx, fmt.Sprintf("trace?seconds=%d", idleTraceSeconds), tracePath); err != nil {
		return err
	}
	heapPath := filepath.Join(env.cfg.outDir, "idle-heap.pb.gz")
	if err := metrics.saveProfile(ctx, "heap?gc=1", heapPath); err != nil {
		return err
	}
	logf("idle: profiles: %s (go tool pprof -top), %s (-sample_index=inuse_space), %s (go tool trace)", cpuPath, heapPath, tracePath)
	return nil
}

// logTopRequests prints the most frequent idle requests, to tell what they are.
func logTopRequests(byKind map[string]int) {
	type entry struct {
		kind  string
		count int
	}
	var entries []entry
	for kind, count := range byKind {
		entries = append(entries, entry{kind, count})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].count > entries[j].count })
	for i, e := range entries {
		if i == 8 {
			break
		}
		logf("idle: %6d × %s", e.count, e.kind)
	}
}
