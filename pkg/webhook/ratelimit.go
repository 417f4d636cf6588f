package webhook

import (
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxLimitedSources bounds the sources whose rates are remembered.
const maxLimitedSources = 10000

// sourceLimiter is a token bucket per source address.
type sourceLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	sources map[string]*rate.Limiter
}

func newSourceLimiter(perSecond float64, burst int) *sourceLimiter {
	return &sourceLimiter{limit: rate.Limit(perSecond), burst: burst, sources: map[string]*rate.Limiter{}}
}

// allow takes a token of the source of remoteAddr (host:port): the port
// changes with every connection, so only the host counts.
func (l *sourceLimiter) allow(remoteAddr string, now time.Time) bool {
	source, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		source = remoteAddr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	limiter, ok := l.sources[source]
	if !ok {
		if len(l.sources) >= maxLimitedSources {
			l.forgetIdle(now)
		}
		limiter = rate.NewLimiter(l.limit, l.burst)
		l.sources[source] = limiter
	}
	return limiter.AllowN(now, 1)
}

// forgetIdle drops the sources whose bucket is full again (they are as if
// new), and, if every source is busy, an arbitrary half of them.
func (l *sourceLimiter) forgetIdle(now time.Time) {
	for source, limiter := range l.sources {
		if limiter.TokensAt(now) >= float64(l.burst) {
			delete(l.sources, source)
		}
	}
	for source := range l.sources {
		if len(l.sources) < maxLimitedSources/2 {
			return
		}
		delete(l.sources, source)
	}
}
