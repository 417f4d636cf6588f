package memory

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
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
	return r, &released
}

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
