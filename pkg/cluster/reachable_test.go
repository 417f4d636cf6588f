package cluster

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// A destination that stops answering is reported by Reachable, with the same
// message for the whole outage, and found again when it is back.
func TestReachableReportsAnOutageSinceItBeganAndItsEnd(t *testing.T) {
	defer func(ttl time.Duration) { reachabilityTTL = ttl }(reachabilityTTL)
	reachabilityTTL = 0
	// down drops every connection unanswered, as a destination gone away.
	var down atomic.Bool
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"major":"1","minor":"37","gitVersion":"v1.37.0"}`))
	}))
	defer server.Close()
	ctx := context.Background()
	c, err := New(ctx, server.URL, "flaky", &rest.Config{Host: server.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Reachable(ctx); err != nil {
		t.Fatalf("Reachable while the server answers: %v", err)
	}

	down.Store(true)
	// A request of the cluster's clients failed below HTTP, as a watch an
	// informer re-establishes does (TestNetworkFailuresAreSeenInTheTransport).
	c.networkFailure()
	first := c.Reachable(ctx)
	if first == nil || !strings.Contains(first.Error(), "cluster "+server.URL+" is unreachable since ") {
		t.Fatalf("Reachable after the server went away: %v, want an error naming the cluster and since when", first)
	}
	if again := c.Reachable(ctx); again == nil || again.Error() != first.Error() {
		t.Errorf("a second probe during the outage: %v, want the same message %q", again, first)
	}

	down.Store(false)
	if err := c.Reachable(ctx); err != nil {
		t.Errorf("Reachable once the server is back: %v", err)
	}
}

// Without a failed request Reachable asks nothing (an idle Capstan sends no
// request); after one, the answer of one probe stands for every caller until
// it is reachabilityTTL old.
func TestReachableAsksOnlyAfterAFailureAndOncePerTTL(t *testing.T) {
	var probes atomic.Int64
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probes.Add(1)
		_, _ = w.Write([]byte(`{}`))
	}))
	defer server.Close()
	c, err := New(context.Background(), server.URL, "", &rest.Config{Host: server.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := c.Reachable(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if probes.Load() != 0 {
		t.Fatalf("%d probes while no request failed, want none", probes.Load())
	}
	c.networkFailure()
	for range 10 {
		if err := c.Reachable(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if probes.Load() != 1 {
		t.Errorf("%d probes for 10 calls within the TTL, want 1", probes.Load())
	}
}

// A connection refused is seen by the transport of the cluster's clients;
// an HTTP error answer is not a network failure.
func TestNetworkFailuresAreSeenInTheTransport(t *testing.T) {
	var failures atomic.Int64
	watcher := &networkFailures{failed: func() { failures.Add(1) }}
	client := &http.Client{Transport: watcher.wrap(http.DefaultTransport), Timeout: 5 * time.Second}
	answering := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	defer answering.Close()
	if response, err := client.Get(answering.URL); err == nil {
		response.Body.Close()
	}
	if failures.Load() != 0 {
		t.Fatalf("an HTTP 503 answer counted as a network failure")
	}
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	if _, err := client.Get(gone.URL); err == nil {
		t.Fatalf("a request to a closed port succeeded")
	}
	if failures.Load() != 1 {
		t.Errorf("%d network failures seen for a refused connection, want 1", failures.Load())
	}
}
