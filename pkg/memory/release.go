// Package memory returns the memory a busy period left in the heap to the
// system once the process has gone quiet.
package memory

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
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
//
// While quiet it also holds the collector's timer: Go collects at least
// every two minutes even when nothing is allocated, a full mark of the live
// heap (about 0.3 CPU-seconds at 1,000 Applications) for nothing. Once quiet,
// GOGC is turned off and a memory limit takes its place that lets the heap
// grow by as much as GOGC would (re-set after every collection), so an
// allocating request is collected for as before; the next Worked restores
// GOGC and the limit that were set.
//
// And while quiet it runs the Go scheduler on one processor (GOMAXPROCS=1):
// an idle server is woken only by timers (library tickers, the embedded
// etcd's), and with more processors every wakeup also wakes an idle thread
// that spins looking for work and finds none, a third of what an idle
// capstan-apiserver spent. A request served while quiet (Serving) gives the
// processors back until Quiet passes without one; the next Worked gives them
// back for good. Nothing else in capstan-apiserver sets GOMAXPROCS: given
// back, it is the runtime's default again (which follows the CPU quota), or
// the GOMAXPROCS the environment set.
type Releaser struct {
	// Quiet and MinRetained: see DefaultQuiet and DefaultMinRetained.
	Quiet       time.Duration
	MinRetained uint64

	// retained and release are replaced by tests, and so are maxProcs
	// (runtime.GOMAXPROCS) and defaultProcs (runtime.SetDefaultGOMAXPROCS)
	// when set.
	retained     func() uint64
	release      func()
	maxProcs     func(int) int
	defaultProcs func()

	logger klog.Logger

	mu      sync.Mutex
	timer   *time.Timer
	worked  bool
	stopped bool

	// trims let go of caches once quiet (OnQuiet).
	trims []func()

	// hold is set while the collector's timer is held (quiet); holds counts
	// the holds, so that a collection's callback of an earlier one does nothing.
	hold  *gcHold
	holds uint64

	// quiet is set from the end of a Quiet period to the next Worked.
	// procs is set while the scheduler runs on one processor (held tells
	// Serving without the lock); served is when a request was last served
	// (Serving, Unix nanoseconds), rehold the timer that holds the
	// processors again once Quiet passed without one.
	quiet  bool
	procs  *procsHold
	held   atomic.Bool
	served atomic.Int64
	rehold *time.Timer
}

// procsHold is what running on one processor changed: GOMAXPROCS as it
// was, and whether the environment set it.
type procsHold struct {
	prev    int
	fromEnv bool
}

// gcHold is what holding the collector's timer changed: GOGC and the memory
// limit as they were.
type gcHold struct {
	percent int
	limit   int64
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
		r.endHold()
		r.timer = time.AfterFunc(r.Quiet, r.fire)
		return
	}
	r.worked = true
}

// Serving tells the Releaser that a request is being served. While quiet,
// the processors are given back until Quiet passes without a request.
func (r *Releaser) Serving() {
	r.served.Store(time.Now().UnixNano())
	if !r.held.Load() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.releaseProcs()
	if r.rehold == nil && r.quiet && !r.stopped {
		r.rehold = time.AfterFunc(r.Quiet, r.holdAgain)
	}
}

// holdAgain runs Quiet after a request was served while quiet: the
// processors are held again when no request came since and the controllers
// are still quiet.
func (r *Releaser) holdAgain() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rehold = nil
	if r.stopped || !r.quiet {
		return
	}
	if since := time.Since(time.Unix(0, r.served.Load())); since < r.Quiet {
		r.rehold = time.AfterFunc(r.Quiet-since, r.holdAgain)
		return
	}
	r.holdProcs()
}

// OnQuiet registers trim to run once the work stops for Quiet, before the
// memory is returned: a cache that spares work while there is some lets go of
// what it holds.
func (r *Releaser) OnQuiet(trim func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trims = append(r.trims, trim)
}

// Stop stops the timer; Worked does nothing afterwards.
func (r *Releaser) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	r.endHold()
	r.releaseProcs()
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
	trims := r.trims
	r.mu.Unlock()
	for _, trim := range trims {
		trim()
	}
	retained := r.retained()
	if retained < r.MinRetained {
		r.logger.V(4).Info("Quiet; heap memory not worth returning", "retainedBytes", retained)
	} else {
		start := time.Now()
		r.release()
		r.logger.V(2).Info("Quiet; returned unused heap memory to the system", "retainedBytes", retained, "took", time.Since(start))
	}
	r.startHold()
}

// startHold holds the collector's timer until the next Worked: GOGC off, a
// memory limit in its place (holdLimit), re-set after every collection.
func (r *Releaser) startHold() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || r.timer != nil || r.hold != nil {
		// Work came meanwhile, or the hold is on already.
		return
	}
	r.quiet = true
	if time.Since(time.Unix(0, r.served.Load())) >= r.Quiet {
		r.holdProcs()
	} else if r.rehold == nil {
		r.rehold = time.AfterFunc(r.Quiet, r.holdAgain)
	}
	percent, limit := collectorSettings()
	if percent <= 0 || limit != math.MaxInt64 {
		// GOGC=off or a memory limit someone set: theirs to keep.
		return
	}
	r.hold = &gcHold{percent: percent, limit: limit}
	r.holds++
	debug.SetMemoryLimit(holdLimit(percent))
	debug.SetGCPercent(-1)
	r.armHold(r.holds)
	r.logger.V(4).Info("Quiet; collecting only when the heap grows")
}

// armHold re-sets the memory limit after the next collection, while hold
// number n is on.
func (r *Releaser) armHold(n uint64) {
	sentinel := &gcSentinel{}
	runtime.SetFinalizer(sentinel, func(*gcSentinel) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.hold == nil || r.holds != n {
			return
		}
		debug.SetMemoryLimit(holdLimit(r.hold.percent))
		r.armHold(n)
	})
}

// gcSentinel is allocated for its finalizer, which runs after the next
// collection. It holds a pointer so that it is not combined with other small
// objects (whose finalizers may run late).
type gcSentinel struct {
	_ *byte
	_ [2]uint64
}

// endHold restores GOGC and the memory limit when the collector's timer is
// held. r.mu is held.
func (r *Releaser) endHold() {
	r.quiet = false
	if r.rehold != nil {
		r.rehold.Stop()
		r.rehold = nil
	}
	r.releaseProcs()
	if r.hold == nil {
		return
	}
	debug.SetGCPercent(r.hold.percent)
	debug.SetMemoryLimit(r.hold.limit)
	r.hold = nil
	r.logger.V(4).Info("Working; collecting by GOGC again")
}

// holdProcs runs the scheduler on one processor, unless it runs on one
// already. r.mu is held.
func (r *Releaser) holdProcs() {
	if r.procs != nil || r.stopped {
		return
	}
	prev := r.setMaxProcs(0)
	if prev <= 1 {
		return
	}
	r.procs = &procsHold{prev: prev, fromEnv: os.Getenv("GOMAXPROCS") != ""}
	r.setMaxProcs(1)
	r.held.Store(true)
	r.logger.V(4).Info("Quiet; running on one processor", "gomaxprocs", prev)
}

// releaseProcs gives the processors back when they are held: the
// GOMAXPROCS the environment set, or else the runtime's default (which
// follows the CPU quota again). r.mu is held.
func (r *Releaser) releaseProcs() {
	if r.procs == nil {
		return
	}
	switch {
	case r.procs.fromEnv:
		r.setMaxProcs(r.procs.prev)
	case r.defaultProcs != nil:
		r.defaultProcs()
	default:
		runtime.SetDefaultGOMAXPROCS()
	}
	r.procs = nil
	r.held.Store(false)
	r.logger.V(4).Info("Running on all processors again")
}

func (r *Releaser) setMaxProcs(n int) int {
	if r.maxProcs != nil {
		return r.maxProcs(n)
	}
	return runtime.GOMAXPROCS(n)
}

// collectorSettings returns GOGC (-1: off) and the memory limit as they are.
func collectorSettings() (percent int, limit int64) {
	samples := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(samples)
	return int(int64(samples[0].Value.Uint64())), int64(samples[1].Value.Uint64())
}

// holdLimit is the memory limit that lets the heap grow from what the last
// collection left as far as GOGC=percent would: by the heap goal GOGC sets
// (live heap plus percent of the live heap, the goroutine stacks and the
// globals) less the heap objects there are, on top of all the memory the
// runtime holds now (what a memory limit counts: mapped, not returned to the
// system), plus the 3 % the runtime keeps below a limit.
func holdLimit(percent int) int64 {
	samples := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/stack:bytes"},
		{Name: "/gc/scan/globals:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
	}
	metrics.Read(samples)
	value := func(i int) uint64 {
		if samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return samples[i].Value.Uint64()
	}
	live, stacks, globals := value(0), value(1), value(2)
	goal := live + (live+stacks+globals)*uint64(percent)/100
	const minGoal = 4 << 20 // the runtime's least heap goal at GOGC=100
	goal = max(goal, minGoal*uint64(percent)/100)
	mapped := value(3) - min(value(3), value(4))
	growth := goal - min(goal, value(5))
	limit := mapped + growth + (mapped+growth)*3/97
	if limit > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(limit)
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
