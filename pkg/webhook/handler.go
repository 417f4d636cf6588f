// Package webhook receives Git hosts' webhooks at Argo CD's path
// /api/webhook — GitHub, GitLab, Bitbucket Cloud, Bitbucket Server,
// Gogs/Gitea and Azure DevOps — verifies each with its provider's scheme and
// the keys of Argo CD's argocd-secret, and hands verified pushes and pull
// requests to a Refresher. Refused requests (rate-limited, oversized,
// unsigned, badly signed, malformed) touch nothing.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"k8s.io/klog/v2"
)

// Path is where the receiver answers: Argo CD's, so that a Git host's
// settings only change the host name.
const Path = "/api/webhook"

// Defaults for Options fields left zero.
const (
	// DefaultMaxPayloadBytes is GitHub's own cap on a payload.
	DefaultMaxPayloadBytes = 25 << 20
	DefaultRatePerSecond   = 10
	DefaultRateBurst       = 50
	DefaultQueueSize       = 1000
	DefaultWorkers         = 4
)

// Options configure a Handler.
type Options struct {
	// Keys returns the current keys (Argo CD's argocd-secret data).
	Keys KeySource
	// Refresher is told about the verified events.
	Refresher Refresher
	// AllowUnsigned accepts requests of a provider without a configured key,
	// unverified; otherwise they are refused with 401. A request of a
	// configured provider is always verified.
	AllowUnsigned bool
	// MaxPayloadBytes bounds a request body; larger ones get 413.
	MaxPayloadBytes int64
	// RatePerSecond and RateBurst are the token bucket of each source
	// address; requests past it get 429.
	RatePerSecond float64
	RateBurst     int
	// QueueSize bounds the verified events waiting for the Refresher; past it
	// requests get 503. Workers is the number of events handled at once.
	QueueSize int
	Workers   int
	// Now is the clock of the rate limit; nil means time.Now.
	Now func() time.Time
}

// Handler is the webhook receiver: an http.Handler for Path whose verified
// events are handled by Run's workers.
type Handler struct {
	opts    Options
	limiter *sourceLimiter
	queue   chan events
	// pending counts the events queued or being handled, for Idle.
	pending sync.WaitGroup
}

var _ http.Handler = &Handler{}

// NewHandler returns a receiver with opts, defaults filled in.
func NewHandler(opts Options) *Handler {
	if opts.MaxPayloadBytes <= 0 {
		opts.MaxPayloadBytes = DefaultMaxPayloadBytes
	}
	if opts.RatePerSecond <= 0 {
		opts.RatePerSecond = DefaultRatePerSecond
	}
	if opts.RateBurst <= 0 {
		opts.RateBurst = DefaultRateBurst
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	RegisterMetrics()
	return &Handler{
		opts:    opts,
		limiter: newSourceLimiter(opts.RatePerSecond, opts.RateBurst),
		queue:   make(chan events, opts.QueueSize),
	}
}

// Run hands queued events to the Refresher until ctx ends.
func (h *Handler) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range h.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case e := <-h.queue:
					h.dispatch(ctx, e)
					h.pending.Done()
				}
			}
		}()
	}
	wg.Wait()
}

// Idle waits until every accepted event was handed to the Refresher: for
// tests and benchmarks.
func (h *Handler) Idle() { h.pending.Wait() }

// dispatch tells the Refresher about each event of a request.
func (h *Handler) dispatch(ctx context.Context, e events) {
	logger := klog.FromContext(ctx)
	for _, push := range e.pushes {
		if err := h.opts.Refresher.Push(ctx, push); err != nil {
			logger.Error(err, "Webhook push not fully handled", "provider", push.Provider, "ref", push.Ref, "commit", push.After)
		}
	}
	for _, pr := range e.pullRequests {
		if err := h.opts.Refresher.PullRequest(ctx, pr); err != nil {
			logger.Error(err, "Webhook pull request not fully handled", "provider", pr.Provider, "number", pr.Number)
		}
	}
}

// ServeHTTP answers one webhook: 202 when its events were queued, 200 when
// it reports nothing to act on, 4xx when refused (see the package
// documentation), 503 when the queue is full.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	providerName := "unknown"
	refuse := func(status int, reason string) {
		countRequest(providerName, status)
		http.Error(w, reason, status)
	}
	if !h.limiter.allow(r.RemoteAddr, h.opts.Now()) {
		w.Header().Set("Retry-After", "1")
		refuse(http.StatusTooManyRequests, "too many webhook requests from this address")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuse(http.StatusMethodNotAllowed, "webhooks are POSTed")
		return
	}
	body, err := readBody(w, r, h.opts.MaxPayloadBytes)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			refuse(http.StatusRequestEntityTooLarge, fmt.Sprintf("payload larger than %d bytes", h.opts.MaxPayloadBytes))
			return
		}
		refuse(http.StatusBadRequest, "the payload could not be read")
		return
	}
	provider, ok := detectProvider(r.Header)
	if !ok {
		refuse(http.StatusBadRequest, "not a webhook of a known Git provider (GitHub, GitLab, Bitbucket, Bitbucket Server, Gogs, Gitea, Azure DevOps)")
		return
	}
	providerName = provider.name
	if status, reason := h.verify(provider, r.Header, body); status != 0 {
		refuse(status, reason)
		return
	}
	e, err := provider.parse(r.Header, body)
	if err != nil {
		refuse(http.StatusBadRequest, err.Error())
		return
	}
	if e.ignored != "" || len(e.pushes)+len(e.pullRequests) == 0 {
		countRequest(providerName, http.StatusOK)
		fmt.Fprintf(w, "ignored: %s event\n", e.ignored)
		return
	}
	for i := range e.pushes {
		e.pushes[i].Provider = provider.name
	}
	for i := range e.pullRequests {
		e.pullRequests[i].Provider = provider.name
	}
	h.pending.Add(1)
	select {
	case h.queue <- e:
	default:
		h.pending.Done()
		w.Header().Set("Retry-After", "5")
		refuse(http.StatusServiceUnavailable, "too many webhooks waiting; try again later")
		return
	}
	countRequest(providerName, http.StatusAccepted)
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintln(w, "accepted")
}

// verify checks the request with the provider's keys: 0 when it may be
// handled, else the status and reason of the refusal.
func (h *Handler) verify(p *provider, header http.Header, body []byte) (int, string) {
	keys, err := h.opts.Keys()
	if err != nil {
		return http.StatusServiceUnavailable, "webhook keys cannot be read; try again later"
	}
	if !keys.configured(p.keys...) {
		if h.opts.AllowUnsigned {
			return 0, ""
		}
		return http.StatusUnauthorized, fmt.Sprintf("no %s webhook key is configured (Secret %s); unsigned webhooks are refused", p.name, SecretName)
	}
	if !p.verify(header, body, keys) {
		return http.StatusUnauthorized, fmt.Sprintf("the %s webhook signature or secret is wrong", p.name)
	}
	return 0, ""
}

// readBody reads at most limit bytes; a longer body is a *http.MaxBytesError.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}
