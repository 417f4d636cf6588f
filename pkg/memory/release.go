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

	// retained and release are replaced by tests.
	retained func() uint64
	release  func()

	logger klog.Logger

	mu      sync.Mutex
	timer   *time.Timer
	worked  bool
	stopped bool
}

// NewReleaser returns a Releaser with the defaults that logs to logger.
func NewReleaser(logger klog.Logger) *Releaser {
	return &Releaser{Quiet: DefaultQuiet, MinRetained: DefaultMinRetained, retained: retainedHeap, release: debug.FreeOSMemory, logger: logger}
}

// Worked tells the Releaser that work was done.
func (r *Releaser) Worked() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
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
