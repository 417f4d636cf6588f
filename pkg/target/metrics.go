package target

import (
	"errors"
	"sync"
	"time"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"

	"capstan.dev/capstan/pkg/render"
)

// The source pipeline's Prometheus metrics, in legacyregistry like every
// metric the server serves at /metrics.
var (
	sourceDuration = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Namespace:      "capstan",
		Subsystem:      "source",
		Name:           "resolve_duration_seconds",
		Help:           "Time taken to resolve a source to a revision and open its files: Git ref listing, fetch and tree, or a Helm chart download; cached work is fast.",
		Buckets:        []float64{0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60},
		StabilityLevel: metrics.ALPHA,
	}, []string{"kind"})

	renderDuration = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Namespace:      "capstan",
		Subsystem:      "render",
		Name:           "duration_seconds",
		Help:           "Time taken to render one source, by tool; cache hits are counted separately and not observed here.",
		Buckets:        []float64{0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60},
		StabilityLevel: metrics.ALPHA,
	}, []string{"tool"})

	renderCacheTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace:      "capstan",
		Subsystem:      "render",
		Name:           "cache_total",
		Help:           "Renders answered from the render cache (result=hit) or rendered (result=miss).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"result"})

	renderFailuresTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace: "capstan",
		Subsystem: "render",
		Name:      "failures_total",
		Help: "Renders that failed, by reason: timeout (abandoned at --render-timeout), busy (no free slot of --max-concurrent-renders in time), " +
			"remembered (a recent failure of the same render returned again without rendering) or error.",
		StabilityLevel: metrics.ALPHA,
	}, []string{"reason"})

	registerMetricsOnce sync.Once
)

// RegisterMetrics registers the source pipeline's metrics in legacyregistry;
// it may be called any number of times.
func RegisterMetrics() {
	registerMetricsOnce.Do(func() {
		legacyregistry.MustRegister(sourceDuration, renderDuration, renderCacheTotal, renderFailuresTotal)
	})
}

func observeSince(histogram *metrics.HistogramVec, label string, start time.Time) {
	histogram.WithLabelValues(label).Observe(time.Since(start).Seconds())
}

// countRenderFailure counts a failed render by reason.
func countRenderFailure(err error) {
	reason := "error"
	switch {
	case errors.Is(err, render.ErrFailureRemembered):
		reason = "remembered"
	case errors.Is(err, render.ErrTimeout):
		reason = "timeout"
	case errors.Is(err, render.ErrTooManyRenders):
		reason = "busy"
	}
	renderFailuresTotal.WithLabelValues(reason).Inc()
}
