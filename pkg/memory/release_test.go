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
		retained: func() uint64 { return retained }, release: func() { released.Add(1) }, now: time.Now}
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

// gcPercent is a fake debug.SetGCPercent.
type gcPercent struct{ value int }

func (g *gcPercent) set(percent int) int {
	previous := g.value
	g.value = percent
	return previous
}

// While quiet the collector runs at IdleGCPercent; the first work restores
// the process's setting, and a lower setting (or GOGC=off) is left alone.
func TestReleaserCollectsMoreOftenWhileQuiet(t *testing.T) {
	for _, busy := range []int{100, 200} {
		r, _ := newTestReleaser(1 << 20)
		gc := &gcPercent{value: busy}
		r.IdleGCPercent, r.setGCPercent = 25, gc.set
		r.Worked()
		if gc.value != busy {
			t.Fatalf("GOGC %d while working, want %d", gc.value, busy)
		}
		r.fire()
		if gc.value != 25 {
			t.Fatalf("GOGC %d after a quiet period, want 25 (was %d)", gc.value, busy)
		}
		r.fire() // no timer runs while quiet; a stray fire changes nothing
		if gc.value != 25 {
			t.Fatalf("GOGC %d, want 25 still", gc.value)
		}
		r.Worked()
		if gc.value != busy {
			t.Fatalf("GOGC %d once work came again, want %d back", gc.value, busy)
		}
		r.fire()
		r.Stop()
		if gc.value != busy {
			t.Fatalf("GOGC %d after Stop, want %d back", gc.value, busy)
		}
	}
	for _, own := range []int{10, 25, -1} {
		r, _ := newTestReleaser(1 << 20)
		gc := &gcPercent{value: own}
		r.IdleGCPercent, r.setGCPercent = 25, gc.set
		r.Worked()
		r.fire()
		if gc.value != own {
			t.Errorf("GOGC %d after a quiet period, want the process's own %d", gc.value, own)
		}
		r.Worked()
		if gc.value != own {
			t.Errorf("GOGC %d after work, want %d", gc.value, own)
		}
		r.Stop()
	}
}

// Collections close together while quiet (the server serving reads) restore
// GOGC; collections far apart (the idle process's own) leave it low.
func TestReleaserEndsTheIdleGCPercentWhenCollectionsComeOften(t *testing.T) {
	r, _ := newTestReleaser(1 << 20)
	defer r.Stop()
	gc := &gcPercent{value: 100}
	clock := time.Unix(0, 0)
	var next func()
	r.IdleGCPercent, r.setGCPercent = 25, gc.set
	r.now = func() time.Time { return clock }
	r.afterCollection = func(fn func()) { next = fn }
	collect := func(after time.Duration) {
		t.Helper()
		if next == nil {
			t.Fatal("no collection is watched")
		}
		clock = clock.Add(after)
		fn := next
		next = nil
		fn()
	}

	r.Worked()
	r.fire()
	if gc.value != 25 {
		t.Fatalf("GOGC %d after a quiet period, want 25", gc.value)
	}
	collect(2 * time.Minute) // the runtime's periodic collection
	collect(3 * time.Minute)
	if gc.value != 25 {
		t.Fatalf("GOGC %d after collections minutes apart, want 25", gc.value)
	}
	collect(5 * time.Second)
	if gc.value != 100 {
		t.Fatalf("GOGC %d after two collections 5s apart, want 100 back", gc.value)
	}
	if next != nil {
		t.Error("collections are still watched after GOGC was restored")
	}

	// A collection watched in an earlier idle period does not end a later one.
	r.Worked()
	r.fire()
	stale := next
	r.Worked()
	r.fire()
	clock = clock.Add(time.Second)
	stale()
	if gc.value != 25 {
		t.Errorf("GOGC %d: a collection of an earlier idle period ended this one", gc.value)
	}
}

// afterNextCollection really calls back after a collection.
func TestAfterNextCollectionCallsBack(t *testing.T) {
	called := make(chan struct{})
	afterNextCollection(func() { close(called) })
	deadline := time.After(time.Minute)
	for {
		runtime.GC()
		select {
		case <-called:
			return
		case <-deadline:
			t.Fatal("not called after collections for a minute")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
