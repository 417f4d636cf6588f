package webhook

import (
	"strconv"
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

var (
	requestsTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace:      "capstan",
		Subsystem:      "webhook",
		Name:           "requests_total",
		Help:           "Webhook requests by provider and HTTP status: 202 queued, 200 ignored, 401 unsigned or badly signed, 400 malformed, 413 too large, 429 rate-limited, 503 queue full.",
		StabilityLevel: metrics.ALPHA,
	}, []string{"provider", "code"})

	refreshedTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace:      "capstan",
		Subsystem:      "webhook",
		Name:           "refreshed_applications_total",
		Help:           "Applications a verified push asked to refresh (result=refreshed), or left alone because no file under their manifest-generate-paths changed (result=skipped).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"result"})

	registerMetricsOnce sync.Once
)

// RegisterMetrics registers the receiver's metrics in legacyregistry; it
// may be called any number of times.
func RegisterMetrics() {
	registerMetricsOnce.Do(func() {
		legacyregistry.MustRegister(requestsTotal, refreshedTotal)
	})
}

func countRequest(provider string, status int) {
	requestsTotal.WithLabelValues(provider, strconv.Itoa(status)).Inc()
}
