package render

import (
	"fmt"
	"sync"
	"time"

	"capstan.dev/capstan/pkg/lru"
)

// Back-off of remembered failures: a source that keeps failing at the same
// cache key is rendered again after 10s, 20s, 40s, … and at most every 10 minutes.
const (
	failureBackoffInitial = 10 * time.Second
	failureBackoffMax     = 10 * time.Minute
	// maxRememberedFailures bounds the failure memory; the least recently
	// used failures are forgotten first.
	maxRememberedFailures = 4096
)

// failure is a render failure as remembered: the tool's error (without the
// *Error that names the source), how many renders of the key failed in a row,
// and when the next one may run.
type failure struct {
	err      error
	failures int
	retryAt  time.Time
}

// failureMemory remembers failed renders by cache key, so that a broken or
// hostile source costs one render per back-off period instead of one per
// refresh. It is safe for concurrent use.
type failureMemory struct {
	mu      sync.Mutex // serializes remember's read-modify-write
	entries *lru.Cache[failure]
}

func newFailureMemory() *failureMemory {
	return &failureMemory{entries: lru.New[failure](maxRememberedFailures)}
}

// recall returns the remembered failure of key while its back-off lasts, nil
// otherwise.
func (m *failureMemory) recall(key string, now time.Time) error {
	f, ok := m.entries.Get(key)
	if !ok || !now.Before(f.retryAt) {
		return nil
	}
	return &rememberedFailure{failure: f}
}

// remember records a failed render of key at now, doubling its back-off.
func (m *failureMemory) remember(key string, err error, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, _ := m.entries.Get(key)
	f.err = err
	f.failures++
	f.retryAt = now.Add(failureBackoff(f.failures))
	m.entries.Add(key, f)
}

// forget drops key after a successful render.
func (m *failureMemory) forget(key string) {
	m.entries.Remove(key)
}

// len returns the number of remembered failures.
func (m *failureMemory) len() int {
	return m.entries.Len()
}

// failureBackoff is how long a render that failed failures times in a row is
// not tried again.
func failureBackoff(failures int) time.Duration {
	backoff := failureBackoffInitial
	for i := 1; i < failures && backoff < failureBackoffMax; i++ {
		backoff *= 2
	}
	return min(backoff, failureBackoffMax)
}

// rememberedFailure is the error of a render answered from the failure
// memory. It unwraps to the original failure and matches ErrFailureRemembered.
type rememberedFailure struct {
	failure
}

// Error reads like `template: …: nil pointer (remembered after 2 failures in
// a row; retried after 2026-01-01T12:00:30Z, or at once on a hard refresh)`.
func (e *rememberedFailure) Error() string {
	times := "1 failure"
	if e.failures != 1 {
		times = fmt.Sprintf("%d failures in a row", e.failures)
	}
	return fmt.Sprintf("%v (remembered after %s; retried after %s, or at once on a hard refresh)",
		e.err, times, e.retryAt.UTC().Format(time.RFC3339))
}

// Unwrap returns the original failure.
func (e *rememberedFailure) Unwrap() error { return e.err }

// Is reports ErrFailureRemembered.
func (e *rememberedFailure) Is(target error) bool { return target == ErrFailureRemembered }
