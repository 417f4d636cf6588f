package render

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// blockingFetcher stands for a tool that cannot be interrupted: it ignores
// its context and serves the dependency chart only once release is closed.
// It records how many fetches ran at once.
type blockingFetcher struct {
	release    chan struct{}
	once       sync.Once
	calls      atomic.Int64
	running    atomic.Int64
	maxRunning atomic.Int64
}

func newBlockingFetcher(t *testing.T) *blockingFetcher {
	t.Helper()
	f := &blockingFetcher{release: make(chan struct{})}
	t.Cleanup(f.unblock)
	return f
}

func (f *blockingFetcher) FetchChart(context.Context, string, string, string) (fs.FS, error) {
	f.calls.Add(1)
	running := f.running.Add(1)
	defer f.running.Add(-1)
	for {
		seen := f.maxRunning.Load()
		if running <= seen || f.maxRunning.CompareAndSwap(seen, running) {
			break
		}
	}
	<-f.release
	return remoteDependencyChart(), nil
}

// unblock lets every fetch, past and future, return.
func (f *blockingFetcher) unblock() {
	f.once.Do(func() { close(f.release) })
}

// blockedRequest is a Helm render that waits on the fetcher; app makes the
// cache key distinct.
func blockedRequest(app string) Request {
	return Request{
		Source:   v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/repo.git", Path: "app"},
		Repo:     chartWithRemoteDependency(),
		Revision: testRevision, AppName: app, DestinationNamespace: "web",
	}
}

// directoryRequest is a quick render of a plain directory.
func directoryRequest() Request {
	return Request{
		Source:   v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/repo.git", Path: "apps"},
		Repo:     fstest.MapFS{"apps/a.yaml": {Data: []byte(configMap("a"))}},
		Revision: testRevision, AppName: "quick",
	}
}

// waitForNoRenders polls until no render holds a slot.
func waitForNoRenders(t *testing.T, renderer *Renderer) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return renderer.Stats().InProgress == 0, nil
	})
	if err != nil {
		t.Fatalf("renders still in progress: %+v", renderer.Stats())
	}
}

func TestRenderSlots(t *testing.T) {
	t.Run("renders past their deadline are abandoned but keep their slots until they return", func(t *testing.T) {
		fetcher := newBlockingFetcher(t)
		renderer := NewRenderer(Options{Timeout: 50 * time.Millisecond, MaxConcurrentRenders: 2, DependencyFetcher: fetcher})
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = renderer.Render(context.Background(), blockedRequest(strings.Repeat("x", i+1)))
			}()
		}
		wg.Wait()
		var timedOut, busy int
		for _, err := range errs {
			switch {
			case errors.Is(err, ErrTimeout):
				timedOut++
				if !strings.Contains(err.Error(), `helm chart "app"`) {
					t.Errorf("timeout error %q does not name the source", err)
				}
			case errors.Is(err, ErrTooManyRenders):
				busy++
				if !strings.Contains(err.Error(), "too many renders in progress") {
					t.Errorf("error %q does not say the renders are busy", err)
				}
			default:
				t.Errorf("render returned %v, want a timeout or too many renders", err)
			}
		}
		if got := fetcher.maxRunning.Load(); got > 2 {
			t.Errorf("%d blocked renders ran at once, more than the bound of 2", got)
		}
		if timedOut != 2 || busy != 4 {
			t.Errorf("%d renders timed out and %d found no slot; want 2 and 4", timedOut, busy)
		}
		if stats := renderer.Stats(); stats.InProgress != 2 {
			t.Errorf("stats %+v, want the two abandoned renders still holding their slots", stats)
		}

		_, err := renderer.Render(context.Background(), directoryRequest())
		if !errors.Is(err, ErrTooManyRenders) {
			t.Errorf("a render while abandoned ones hold every slot returned %v, want ErrTooManyRenders", err)
		}

		fetcher.unblock()
		waitForNoRenders(t, renderer)
		if _, err := renderer.Render(context.Background(), directoryRequest()); err != nil {
			t.Errorf("a render after the abandoned ones returned: %v", err)
		}
	})
	t.Run("a caller whose context ends stops waiting at once", func(t *testing.T) {
		fetcher := newBlockingFetcher(t)
		renderer := NewRenderer(Options{Timeout: time.Hour, MaxConcurrentRenders: 1, DependencyFetcher: fetcher})
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			_ = wait.PollUntilContextTimeout(context.Background(), time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
				return fetcher.calls.Load() == 1, nil
			})
			cancel()
		}()
		_, err := renderer.Render(ctx, blockedRequest("cancelled"))
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `helm chart "app"`) {
			t.Errorf("render returned %v, want the cancellation naming the source", err)
		}
	})
	t.Run("the bound defaults to twice GOMAXPROCS and is at least one", func(t *testing.T) {
		if got := NewRenderer(Options{}).opts.MaxConcurrentRenders; got < 2 {
			t.Errorf("default bound %d", got)
		}
		if got := NewRenderer(Options{MaxConcurrentRenders: -3}).opts.MaxConcurrentRenders; got < 1 {
			t.Errorf("bound %d for a negative option", got)
		}
	})
}
