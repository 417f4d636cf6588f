// Package memory returns the memory a busy period left in the heap to the
// system once the process has gone quiet.
package memory

import (
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"k8s.io/klog/v2"
)

// DefaultQuiet is how long the controllers must have had nothing to do
// before memory is returned.
const DefaultQuiet = time.Minute

// DefaultMinRetained is the least heap memory, held beyond what was live
// after the last collection, worth a forced collection to return.
const DefaultMinRetained = 64 << 20

// DefaultIdleGCPercent is the collector's GOGC while the controllers are
// quiet: the heap may grow by a quarter of its live part before a
// collection, not by all of it. What a quiet process allocates (periodic
// refreshes that find nothing changed, discovery requests) is little, so the
// extra collections cost next to nothing, while the heap the scavenger keeps
// mapped stays near what is live instead of climbing back to twice that.
const DefaultIdleGCPercent = 25

// Releaser returns the heap's unused memory to the system (a collection,
// then debug.FreeOSMemory) when the work it is told of stops for Quiet and
// the heap holds at least MinRetained bytes more than is live. Go's
// collector sizes the heap at twice its live part (GOGC=100) and returns
// memory beyond that only slowly, so after a cold sync of 1,000
// Applications an idle capstan-apiserver kept hundreds of MiB it no longer
// used. It runs no timer while nothing happens: the first Worked after a
// quiet period arms one, and it is not re-armed once memory was returned.
// While quiet the collector runs with IdleGCPercent, and the first Worked
// gives it its GOGC back.
type Releaser struct {
	// Quiet, MinRetained and IdleGCPercent: see DefaultQuiet,
	// DefaultMinRetained and DefaultIdleGCPercent. An IdleGCPercent of 0
	// leaves GOGC alone; so does a GOGC already as low, or off.
	Quiet         time.Duration
	MinRetained   uint64
	IdleGCPercent int

	// retained, release and setGCPercent are replaced by tests.
	retained     func() uint64
	release      func()
	setGCPercent func(int) int

	logger klog.Logger

	mu      sync.Mutex
	timer   *time.Timer
	worked  bool
	stopped bool
	// busyGCPercent is the GOGC to restore when work comes, while lowered.
	busyGCPercent int
	lowered       bool
}

// NewReleaser returns a Releaser with the defaults that logs to logger.
func NewReleaser(logger klog.Logger) *Releaser {
	return &Releaser{Quiet: DefaultQuiet, MinRetained: DefaultMinRetained, IdleGCPercent: DefaultIdleGCPercent,
		retained: retainedHeap, release: debug.FreeOSMemory, setGCPercent: debug.SetGCPercent, logger: logger}
}

// Worked tells the Releaser that work was done.
func (r *Releaser) Worked() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.restoreGCLocked()
	if r.timer == nil {
		r.timer = time.AfterFunc(r.Quiet, r.fire)
		return
	}
	r.worked = true
}

// Stop stops the timer and gives the collector its GOGC back; Worked does
// nothing afterwards.
func (r *Releaser) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	r.restoreGCLocked()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
}

// lowerGCLocked sets the collector's quiet GOGC, remembering the one to
// restore; r.mu is held.
func (r *Releaser) lowerGCLocked() {
	if r.lowered || r.IdleGCPercent <= 0 || r.setGCPercent == nil {
		return
	}
	busy := r.setGCPercent(r.IdleGCPercent)
	if busy < 0 || busy <= r.IdleGCPercent {
		// GOGC=off (a memory limit alone paces the collector) or already
		// lower: the operator's choice stands.
		r.setGCPercent(busy)
		return
	}
	r.busyGCPercent, r.lowered = busy, true
}

// restoreGCLocked gives the collector the GOGC it had before the quiet
// period; r.mu is held.
func (r *Releaser) restoreGCLocked() {
	if !r.lowered {
		return
	}
	r.setGCPercent(r.busyGCPercent)
	r.lowered = false
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
	r.lowerGCLocked()
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
