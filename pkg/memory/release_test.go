package memory

import (
	"runtime"
	"runtime/debug"
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
