package localplane

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// RequestCounter counts the requests that every client made from a wrapped
// rest.Config sends, by kind, and remembers the last few to name them when a
// test expected none.
type RequestCounter struct {
	total atomic.Int64

	mu     sync.Mutex
	byKind map[string]int64
	last   []string
}

// Request kinds counted by RequestCounter.
const (
	RequestApply  = "apply"
	RequestDryRun = "dry-run"
	RequestGet    = "get"
	RequestWatch  = "watch"
	RequestOther  = "other"
)

// Wrap makes every client built from config count its requests into c.
func (c *RequestCounter) Wrap(config *rest.Config) {
	config.Wrap(func(next http.RoundTripper) http.RoundTripper {
		return countingTransport{next: next, counter: c}
	})
}

// Count is the number of requests sent so far.
func (c *RequestCounter) Count() int64 { return c.total.Load() }

// CountOf is the number of requests of one kind (RequestApply, …) sent so far.
func (c *RequestCounter) CountOf(kind string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byKind[kind]
}

// Recent returns the method and URI of the last requests, oldest first.
func (c *RequestCounter) Recent() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.last...)
}

// requestKind tells a dry run (of any verb) from a server-side apply, from a
// read (get or list) and from a watch.
func requestKind(req *http.Request) string {
	query := req.URL.Query()
	switch {
	case query.Get("dryRun") != "":
		return RequestDryRun
	case req.Method == http.MethodPatch && strings.HasPrefix(req.Header.Get("Content-Type"), string(types.ApplyPatchType)):
		return RequestApply
	case req.Method == http.MethodGet && query.Get("watch") == "true":
		return RequestWatch
	case req.Method == http.MethodGet:
		return RequestGet
	default:
		return RequestOther
	}
}

type countingTransport struct {
	next    http.RoundTripper
	counter *RequestCounter
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.counter
	c.total.Add(1)
	c.mu.Lock()
	if c.byKind == nil {
		c.byKind = map[string]int64{}
	}
	c.byKind[requestKind(req)]++
	c.last = append(c.last, req.Method+" "+req.URL.RequestURI())
	if len(c.last) > 10 {
		c.last = c.last[1:]
	}
	c.mu.Unlock()
	return t.next.RoundTrip(req)
}
