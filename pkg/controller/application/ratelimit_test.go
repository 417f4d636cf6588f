package application

import "testing"

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
