package application

import (
	"testing"
	"time"
)

// A comparison that keeps failing through a long outage is retried at least
// every maxRefreshBackoff, so the Application recovers soon after the cause
// is gone; the first retries stay fast.
func TestAFailingComparisonIsRetriedAtLeastEveryMaxRefreshBackoff(t *testing.T) {
	limiter := refreshRateLimiter()
	if first := limiter.When("ns/app"); first > maxRefreshBackoff/100 {
		t.Errorf("first retry after %s, want a fast one", first)
	}
	for range 30 {
		limiter.When("ns/app")
	}
	if last := limiter.When("ns/app"); last != maxRefreshBackoff {
		t.Errorf("retry after 30 failures in %s, want the cap %s", last, maxRefreshBackoff)
	}
	limiter.Forget("ns/app")
	if again := limiter.When("ns/app"); again > maxRefreshBackoff/100 {
		t.Errorf("retry after a success in %s, want a fast one", again)
	}
}

// The periodic refresh lands on the resync grid, at or after the time due,
// and less than one grid step after it.
func TestResyncDelayLandsOnTheGrid(t *testing.T) {
	now := time.Date(2026, 12, 7, 18, 0, 1, 234_000_000, time.UTC)
	for _, delay := range []time.Duration{0, time.Millisecond, 3*time.Minute + 17*time.Second + 5*time.Millisecond, 4 * time.Minute} {
		got := resyncDelay(now, delay)
		at := now.Add(got)
		if at.Truncate(resyncGrid) != at {
			t.Errorf("resyncDelay(%s) = %s: %s is not on the %s grid", delay, got, at.Format(time.RFC3339Nano), resyncGrid)
		}
		if got < delay || got >= delay+resyncGrid {
			t.Errorf("resyncDelay(%s) = %s, want in [%s, %s)", delay, got, delay, delay+resyncGrid)
		}
	}
	onGrid := time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)
	if got := resyncDelay(onGrid, 3*time.Minute); got != 3*time.Minute {
		t.Errorf("resyncDelay from a grid point = %s, want exactly 3m0s", got)
	}
}
