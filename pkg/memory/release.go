// Package memory returns the memory a busy period left in the heap to the
// system once the process has gone quiet.
package memory

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"k8s.io/klog/v2"
)

// DefaultQuiet is how long the controllers must have had nothing to do
// before memory is returned.
const DefaultQuiet = time.Minute

// DefaultIdleGCPercent is the collector's GOGC while the controllers are
// quiet: the heap may then grow by a quarter of what is live before a
// collection, instead of doubling (GOGC=100), so that the little the idle
// process allocates (periodic refreshes, watch renewals) does not make it
// hold twice its live heap again soon after memory was returned. Collections
// of an idle heap are rare and cost little; the first work restores GOGC,
// and so do collections that come close together (busyCollections): the
// server answering reads while the controllers have nothing to do.
const DefaultIdleGCPercent = 25

// busyCollections: two collections less than this apart while quiet mean the
// process allocates again (it serves lists, say), and GOGC is restored so
// that serving costs no more collections than when busy.
const busyCollections = 30 * time.Second

// DefaultMinRetained is the least heap memory, held beyond what was live
// after the last collection, worth a forced collection to return.
const DefaultMinRetained = 64 << 20

// Releaser returns the heap's unused memory to the system (a collection,
// then debug.FreeOSMemory) when the work it is told of stops for Quiet and
// the heap holds at least MinRetained bytes more than is live. Go's
// collector sizes the heap at twice its live part (GOGC=100) and returns
// memory beyond that only slowly, so after a cold sync of 1,000
// Applications an idle capstan-apiserver kept hundreds of MiB it no longer
// used. It runs no timer while nothing happens: the first Worked after a
// quiet period arms one, and it is not re-armed once memory was returned.
type Releaser struct {
	// Quiet and MinRetained: see DefaultQuiet and DefaultMinRetained.
	Quiet       time.Duration
	MinRetained uint64
	// IdleGCPercent is GOGC while quiet (DefaultIdleGCPercent); a lower
	// setting of the process (or GOGC=off) is kept.
	IdleGCPercent int

	// retained, release, setGCPercent, afterCollection and now are
	// replaced by tests.
	retained     func() uint64
	release      func()
	setGCPercent func(int) int
	// afterCollection calls fn once after the next collection.
	afterCollection func(fn func())
	now             func() time.Time

	logger klog.Logger

	mu      sync.Mutex
	timer   *time.Timer
	worked  bool
	stopped bool
	// idle is set while GOGC is IdleGCPercent; busyGCPercent is the
	// setting it replaced.
	idle          bool
	busyGCPercent int
	// idlePeriod counts the idle periods (a collection of an earlier one is
	// ignored); lastCollection is the last collection seen while idle.
	idlePeriod     uint64
	lastCollection time.Time
}

// NewReleaser returns a Releaser with the defaults that logs to logger.
func NewReleaser(logger klog.Logger) *Releaser {
	return &Releaser{Quiet: DefaultQuiet, MinRetained: DefaultMinRetained, IdleGCPercent: DefaultIdleGCPercent,
		retained: retainedHeap, release: debug.FreeOSMemory, setGCPercent: debug.SetGCPercent,
		afterCollection: afterNextCollection, now: time.Now, logger: logger}
}

// Worked tells the Releaser that work was done.
func (r *Releaser) Worked() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.busyLocked()
	if r.timer == nil {
		r.timer = time.AfterFunc(r.Quiet, r.fire)
		return
	}
	r.worked = true
}

// Stop stops the timer; Worked does nothing afterwards.
func (r *Releaser) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	r.busyLocked()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
}

// fire runs Quiet after the timer was armed: if work was done since, it
// waits another Quiet; otherwise the period is over and memory is returned
// when enough is retained.
func (r *Releaser) fire() {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	if r.worked {
		r.worked = false
		r.timer.Reset(r.Quiet)
		r.mu.Unlock()
		return
	}
	r.timer = nil
	r.idleLocked()
	r.mu.Unlock()
	retained := r.retained()
	if retained < r.MinRetained {
		r.logger.V(4).Info("Quiet; heap memory not worth returning", "retainedBytes", retained)
		return
	}
	start := time.Now()
	r.release()
	r.logger.V(2).Info("Quiet; returned unused heap memory to the system", "retainedBytes", retained, "took", time.Since(start))
}

// idleLocked lowers GOGC to IdleGCPercent, unless the process runs with a
// lower setting already or with the collector off.
func (r *Releaser) idleLocked() {
	if r.idle || r.setGCPercent == nil || r.IdleGCPercent <= 0 {
		return
	}
	busy := r.setGCPercent(r.IdleGCPercent)
	if busy < 0 || busy <= r.IdleGCPercent {
		r.setGCPercent(busy)
		return
	}
	r.idle, r.busyGCPercent = true, busy
	r.idlePeriod++
	r.lastCollection = r.now()
	r.watchCollectionsLocked()
	r.logger.V(4).Info("Quiet; collecting the heap more often while idle", "gcPercent", r.IdleGCPercent, "busyGCPercent", busy)
}

// watchCollectionsLocked has collected called after the next collection of
// this idle period.
func (r *Releaser) watchCollectionsLocked() {
	if r.afterCollection == nil {
		return
	}
	period := r.idlePeriod
	r.afterCollection(func() { r.collected(period) })
}

// collected is called after a collection while idle: one that comes soon
// after the last ends the idle setting (busyCollections).
func (r *Releaser) collected(period uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.idle || period != r.idlePeriod || r.stopped {
		return
	}
	now := r.now()
	if now.Sub(r.lastCollection) < busyCollections {
		r.logger.V(4).Info("Collecting often while quiet; back to the usual GOGC", "gcPercent", r.busyGCPercent)
		r.busyLocked()
		return
	}
	r.lastCollection = now
	r.watchCollectionsLocked()
}

// afterNextCollection calls fn in a goroutine of its own after the next
// garbage collection (a finalizer of an object nothing refers to).
func afterNextCollection(fn func()) {
	sentinel := &struct{ _ [32]byte }{}
	runtime.SetFinalizer(sentinel, func(*struct{ _ [32]byte }) { go fn() })
}

// busyLocked restores the GOGC idleLocked replaced.
func (r *Releaser) busyLocked() {
	if !r.idle {
		return
	}
	r.setGCPercent(r.busyGCPercent)
	r.idle = false
}

// retainedHeap is the heap memory held from the system beyond the live heap
// of the last collection: objects not yet collected, and free and unused
// heap memory not yet returned.
func retainedHeap() uint64 {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/gc/heap/live:bytes"},
	}
	metrics.Read(samples)
	var held uint64
	for _, sample := range samples[:3] {
		if sample.Value.Kind() == metrics.KindUint64 {
			held += sample.Value.Uint64()
		}
	}
	var live uint64
	if samples[3].Value.Kind() == metrics.KindUint64 {
		live = samples[3].Value.Uint64()
	}
	if held < live {
		return 0
	}
	return held - live
}
