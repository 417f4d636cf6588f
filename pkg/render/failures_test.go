package render

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"
)

func TestFailureMemory(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	t.Run("a failed render is remembered with a doubling back-off until a render succeeds", func(t *testing.T) {
		fetcher := &fakeFetcher{charts: map[string]fs.FS{}}
		renderer := NewRenderer(Options{DependencyFetcher: fetcher})
		clock := testingclock.NewFakePassiveClock(start)
		renderer.clock = clock
		req := blockedRequest("app")
		steps := []struct {
			advance    time.Duration
			hard       bool
			remembered bool
			retryAt    string
			toolRuns   int64
		}{
			{toolRuns: 1},
			{remembered: true, retryAt: "12:00:10", toolRuns: 1},
			{advance: 9 * time.Second, remembered: true, retryAt: "12:00:10", toolRuns: 1},
			{advance: time.Second, toolRuns: 2},
			{advance: 19 * time.Second, remembered: true, retryAt: "12:00:30", toolRuns: 2},
			{advance: time.Second, toolRuns: 3},
			{hard: true, toolRuns: 4},
			{remembered: true, retryAt: "12:01:50", toolRuns: 4},
		}
		for i, step := range steps {
			clock.SetTime(clock.Now().Add(step.advance))
			req.Hard = step.hard
			_, err := renderer.Render(context.Background(), req)
			if !errors.Is(err, ErrMissingDependency) {
				t.Fatalf("step %d: render returned %v, want the missing dependency", i, err)
			}
			if got := errors.Is(err, ErrFailureRemembered); got != step.remembered {
				t.Errorf("step %d: remembered %v, want %v: %v", i, got, step.remembered, err)
			}
			if step.remembered && !strings.Contains(err.Error(), "retried after 2026-01-01T"+step.retryAt+"Z") {
				t.Errorf("step %d: error %q does not say it is retried at %s", i, err, step.retryAt)
			}
			if got := renderer.Stats().ToolRuns; got != step.toolRuns {
				t.Errorf("step %d: %d tool runs, want %d", i, got, step.toolRuns)
			}
		}

		fetcher.charts["remote-dep"] = remoteDependencyChart()
		req.Hard = true
		if _, err := renderer.Render(context.Background(), req); err != nil {
			t.Fatalf("render after the dependency appeared: %v", err)
		}
		if got := renderer.failures.len(); got != 0 {
			t.Errorf("%d failures still remembered after a success", got)
		}
	})
	t.Run("a failure is remembered for its cache key only", func(t *testing.T) {
		renderer := NewRenderer(Options{DependencyFetcher: &fakeFetcher{}})
		for _, app := range []string{"one", "one", "two"} {
			if _, err := renderer.Render(context.Background(), blockedRequest(app)); err == nil {
				t.Fatal("expected the render to fail")
			}
		}
		if got := renderer.Stats().ToolRuns; got != 2 {
			t.Errorf("%d tool runs, want one per application", got)
		}
	})
	t.Run("a timed-out render is remembered as a timeout", func(t *testing.T) {
		fetcher := newBlockingFetcher(t)
		renderer := NewRenderer(Options{Timeout: 20 * time.Millisecond, DependencyFetcher: fetcher})
		if _, err := renderer.Render(context.Background(), blockedRequest("slow")); !errors.Is(err, ErrTimeout) {
			t.Fatalf("render returned %v, want a timeout", err)
		}
		_, err := renderer.Render(context.Background(), blockedRequest("slow"))
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrFailureRemembered) {
			t.Errorf("second render returned %v, want the remembered timeout", err)
		}
		if got := fetcher.calls.Load(); got != 1 {
			t.Errorf("the slow chart was rendered %d times", got)
		}
	})
	t.Run("a render that found no free slot is not remembered", func(t *testing.T) {
		fetcher := newBlockingFetcher(t)
		renderer := NewRenderer(Options{Timeout: 20 * time.Millisecond, MaxConcurrentRenders: 1, DependencyFetcher: fetcher})
		if _, err := renderer.Render(context.Background(), blockedRequest("slow")); !errors.Is(err, ErrTimeout) {
			t.Fatalf("render returned %v, want a timeout", err)
		}
		for range 2 {
			_, err := renderer.Render(context.Background(), directoryRequest())
			if !errors.Is(err, ErrTooManyRenders) || errors.Is(err, ErrFailureRemembered) {
				t.Errorf("render returned %v, want too many renders, not remembered", err)
			}
		}
		fetcher.unblock()
		waitForNoRenders(t, renderer)
		if _, err := renderer.Render(context.Background(), directoryRequest()); err != nil {
			t.Errorf("render once the slot was free: %v", err)
		}
	})
}

func TestFailureBackoff(t *testing.T) {
	for failures, want := range map[int]time.Duration{
		1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 6: 320 * time.Second,
		7: 10 * time.Minute, 64: 10 * time.Minute, 1 << 30: 10 * time.Minute,
	} {
		if got := failureBackoff(failures); got != want {
			t.Errorf("back-off after %d failures is %s, want %s", failures, got, want)
		}
	}
}
