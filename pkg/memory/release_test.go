package memory

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/klog/v2"
)

// newTestReleaser returns a Releaser whose timer never fires by itself
// (tests call fire, as the timer would) and that counts its releases.
func newTestReleaser(retained uint64) (*Releaser, *atomic.Int32) {
	var released atomic.Int32
	r := &Releaser{Quiet: time.Hour, MinRetained: 64, logger: klog.Background(),
		retained: func() uint64 { return retained }, release: func() { released.Add(1) }}
	// The scheduler's processors of a machine with 4 CPUs: the test
	// process's own stay as they are.
	procs := &testProcs{n: 4, def: 4}
	r.maxProcs, r.defaultProcs = procs.set, procs.setDefault
	return r, &released
}

// testProcs stands for the runtime's GOMAXPROCS: n, def its default.
type testProcs struct {
	mu       sync.Mutex
	n, def   int
	defaults int // calls of setDefault
}

func (p *testProcs) set(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	prev := p.n
	if n > 0 {
		p.n = n
	}
	return prev
}

func (p *testProcs) setDefault() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n = p.def
	p.defaults++
}

func (r *Releaser) gomaxprocs() int { return r.maxProcs(0) }

// armed tells whether the Releaser runs a timer.
func (r *Releaser) armed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.timer != nil
}

// Memory is returned when a Quiet period passes without work, then no timer
// runs until work comes again; a period with work returns nothing.
func TestReleaserReturnsMemoryOnceQuiet(t *testing.T) {
	r, released := newTestReleaser(1 << 20)
	defer r.Stop()
	if r.armed() {
		t.Fatal("a timer runs before any work")
	}
	r.Worked() // arms the timer
	r.Worked() // more work in the same period
	r.fire()
	if released.Load() != 0 || !r.armed() {
		t.Fatalf("released %d, armed %v after a period with work; want nothing released and another period", released.Load(), r.armed())
	}
	r.fire() // a period without work
	if released.Load() != 1 || r.armed() {
		t.Fatalf("released %d, armed %v after a quiet period; want one release and no timer", released.Load(), r.armed())
	}
	r.Worked()
	if !r.armed() {
		t.Fatal("work after a release armed no timer")
	}
	r.fire()
	if released.Load() != 2 || r.armed() {
		t.Fatalf("released %d, armed %v; want a second release after the second quiet period", released.Load(), r.armed())
	}
}

// Little retained memory is not worth a forced collection.
func TestReleaserKeepsLittleRetainedMemory(t *testing.T) {
	r, released := newTestReleaser(10)
	defer r.Stop()
	r.Worked()
	r.fire()
	if r.armed() || released.Load() != 0 {
		t.Fatalf("armed %v, released %d; want the period over and nothing released", r.armed(), released.Load())
	}
}

// After Stop no timer runs and a late fire returns nothing.
func TestReleaserStop(t *testing.T) {
	r, released := newTestReleaser(1 << 20)
	r.Worked()
	r.Stop()
	r.Worked()
	r.fire()
	if r.armed() || released.Load() != 0 {
		t.Fatalf("armed %v, released %d after Stop", r.armed(), released.Load())
	}
}

// The timer itself fires after Quiet and returns memory.
func TestReleaserTimerFires(t *testing.T) {
	r, released := newTestReleaser(1 << 20)
	r.Quiet = time.Millisecond
	defer r.Stop()
	r.Worked()
	deadline := time.Now().Add(10 * time.Second)
	for released.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // polling with a deadline
	}
	if released.Load() != 1 {
		t.Fatalf("released %d times within 10s of a 1ms quiet period, want 1", released.Load())
	}
}

// retainedHeap reads the runtime's metrics: garbage not collected yet
// counts.
func TestRetainedHeapCountsGarbage(t *testing.T) {
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for range 64 {
		sink = make([]byte, 1<<20)
	}
	if got := retainedHeap(); got < 32<<20 {
		t.Errorf("retainedHeap = %d with 64 MiB of garbage since the last collection", got)
	}
}

// sink keeps the compiler from dropping allocations.
var sink []byte

// Once quiet, the collector's two-minute timer is held (GOGC off) and a
// memory limit lets the heap grow as far as GOGC would: allocating past it
// collects, and the limit follows the collection. Work restores GOGC and
// no limit.
func TestQuietHoldsTheCollectorsTimer(t *testing.T) {
	percent, limit := collectorSettings()
	if percent <= 0 || limit != math.MaxInt64 {
		t.Fatalf("the test runs with GOGC=%d and a memory limit of %d; want GOGC on and no limit", percent, limit)
	}
	r, released := newTestReleaser(1 << 20)
	defer r.Stop()
	r.Worked()
	r.fire()
	if released.Load() != 1 {
		t.Fatalf("released %d times, want 1", released.Load())
	}
	heldPercent, heldLimit := collectorSettings()
	if heldPercent != -1 || heldLimit == math.MaxInt64 {
		t.Fatalf("quiet: GOGC=%d, memory limit %d; want GOGC off and a limit", heldPercent, heldLimit)
	}
	// What a memory limit counts: all the runtime maps, less what it
	// returned to the system.
	memory := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(memory)
	if inUse := int64(memory[0].Value.Uint64() - memory[1].Value.Uint64()); heldLimit < inUse {
		t.Fatalf("memory limit %d below the memory in use (%d): every allocation would collect", heldLimit, inUse)
	}

	// Allocate past the limit: a collection runs, and after it the limit is
	// set again from what the collection left.
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	collections := stats.NumGC
	deadline := time.Now().Add(30 * time.Second)
	for {
		runtime.ReadMemStats(&stats)
		if stats.NumGC > collections {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no collection while allocating past a memory limit of %d", heldLimit)
		}
		for range 16 {
			sink = make([]byte, 1<<20)
		}
	}
	sink = nil
	keep := make([][]byte, 64) // 64 MiB live: the next limit is higher
	for i := range keep {
		keep[i] = make([]byte, 1<<20)
	}
	runtime.GC()
	deadline = time.Now().Add(30 * time.Second)
	for {
		if _, now := collectorSettings(); now > heldLimit+32<<20 {
			break
		}
		if time.Now().After(deadline) {
			_, now := collectorSettings()
			t.Fatalf("memory limit %d after a collection that left 64 MiB more live, was %d; want it to follow", now, heldLimit)
		}
		time.Sleep(time.Millisecond) // polling with a deadline: finalizers run on their own goroutine
	}
	runtime.KeepAlive(keep)

	r.Worked()
	if p, l := collectorSettings(); p != percent || l != limit {
		t.Fatalf("working again: GOGC=%d, memory limit %d; want %d and %d as before", p, l, percent, limit)
	}
}

// A memory limit someone set (GOMEMLIMIT) is theirs: no hold then.
func TestQuietKeepsAMemoryLimitSet(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 40))
	r, _ := newTestReleaser(1 << 20)
	defer r.Stop()
	r.Worked()
	r.fire()
	if p, l := collectorSettings(); p <= 0 || l != 1<<40 {
		t.Fatalf("quiet with a memory limit set: GOGC=%d, limit %d; want both as they were", p, l)
	}
}

// Stop ends the hold.
func TestStopEndsTheHold(t *testing.T) {
	percent, limit := collectorSettings()
	r, _ := newTestReleaser(1 << 20)
	r.Worked()
	r.fire()
	r.Stop()
	if p, l := collectorSettings(); p != percent || l != limit {
		t.Fatalf("after Stop: GOGC=%d, memory limit %d; want %d and %d", p, l, percent, limit)
	}
}

// The trims registered with OnQuiet run once the work stops, before the
// memory is returned; not after a period with work, not when stopped.
func TestQuietTrimsCaches(t *testing.T) {
	r, released := newTestReleaser(1 << 20)
	defer r.Stop()
	var trims []int32
	r.OnQuiet(func() { trims = append(trims, released.Load()) })
	r.Worked()
	r.Worked()
	r.fire() // a period with work
	if len(trims) != 0 {
		t.Fatalf("trimmed %d times after a period with work", len(trims))
	}
	r.fire() // quiet
	if len(trims) != 1 || trims[0] != 0 || released.Load() != 1 {
		t.Fatalf("trims %v (releases before each), %d releases; want one trim, before the release", trims, released.Load())
	}
	r.Stop()
	r.fire()
	if len(trims) != 1 {
		t.Fatalf("trimmed after Stop")
	}
}

// Once quiet, the scheduler runs on one processor; work gives them back
// (the runtime's default, which follows the CPU quota), and so does Stop.
func TestQuietRunsOnOneProcessor(t *testing.T) {
	r, _ := newTestReleaser(1 << 20)
	defer r.Stop()
	r.Worked() // arms the timer
	r.Worked() // more work in the same period
	r.fire()   // a period with work
	if n := r.gomaxprocs(); n != 4 {
		t.Fatalf("GOMAXPROCS=%d after a period with work, want 4", n)
	}
	r.fire() // quiet
	if n := r.gomaxprocs(); n != 1 {
		t.Fatalf("GOMAXPROCS=%d once quiet, want 1", n)
	}
	r.Worked()
	if n := r.gomaxprocs(); n != 4 {
		t.Fatalf("GOMAXPROCS=%d working again, want 4", n)
	}
	r.fire()
	if n := r.gomaxprocs(); n != 1 {
		t.Fatalf("GOMAXPROCS=%d quiet again, want 1", n)
	}
	r.Stop()
	if n := r.gomaxprocs(); n != 4 {
		t.Fatalf("GOMAXPROCS=%d after Stop, want 4", n)
	}
}

// A request served while quiet gives the processors back until Quiet
// passes without one; they are held again only while the controllers are
// still quiet.
func TestServingGivesTheProcessorsBack(t *testing.T) {
	r, _ := newTestReleaser(1 << 20)
	defer r.Stop()
	r.Serving() // not quiet: nothing to give back
	if n := r.gomaxprocs(); n != 4 {
		t.Fatalf("GOMAXPROCS=%d serving while working, want 4", n)
	}
	r.Worked()
	r.fire()
	// A request within Quiet before the work stopped: the processors are
	// held only once Quiet passed since.
	if n := r.gomaxprocs(); n != 4 {
		t.Fatalf("GOMAXPROCS=%d quiet right after a request, want 4", n)
	}
	r.served.Store(time.Now().Add(-2 * r.Quiet).UnixNano())
	r.holdAgain() // as its timer would
	if n := r.gomaxprocs(); n != 1 {
		t.Fatalf("GOMAXPROCS=%d quiet and no request for Quiet, want 1", n)
	}

	r.Serving()
	if n := r.gomaxprocs(); n != 4 {
		t.Fatalf("GOMAXPROCS=%d serving while quiet, want 4", n)
	}
	r.holdAgain() // the request was just now
	if n := r.gomaxprocs(); n != 4 {
		t.Fatalf("GOMAXPROCS=%d right after a request, want 4", n)
	}
	r.served.Store(time.Now().Add(-2 * r.Quiet).UnixNano())
	r.holdAgain()
	if n := r.gomaxprocs(); n != 1 {
		t.Fatalf("GOMAXPROCS=%d Quiet after the last request, want 1", n)
	}

	r.Serving()
	r.Worked() // the controllers work: not held again by the request's timer
	r.served.Store(time.Now().Add(-2 * r.Quiet).UnixNano())
	r.holdAgain()
	if n := r.gomaxprocs(); n != 4 {
		t.Fatalf("GOMAXPROCS=%d while working, want 4", n)
	}
}

// A GOMAXPROCS the environment set is given back as it was; the runtime's
// own (real processors here).
func TestQuietGivesBackTheEnvironmentsGOMAXPROCS(t *testing.T) {
	t.Cleanup(runtime.SetDefaultGOMAXPROCS) // runs after the environment is restored
	t.Setenv("GOMAXPROCS", "3")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	r := &Releaser{Quiet: time.Hour, MinRetained: 64, logger: klog.Background(),
		retained: func() uint64 { return 0 }, release: func() {}}
	defer r.Stop()
	r.Worked()
	r.fire()
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Fatalf("GOMAXPROCS=%d once quiet, want 1", n)
	}
	r.Worked()
	if n := runtime.GOMAXPROCS(0); n != 3 {
		t.Fatalf("GOMAXPROCS=%d working again, want the environment's 3", n)
	}
}
