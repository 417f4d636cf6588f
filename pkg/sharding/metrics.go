package sharding

import (
	"context"
	"sync"
	"time"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// The sharding metrics of this replica, served at /metrics with the API
// server's own (legacyregistry).
var (
	replicasGauge = metrics.NewGauge(&metrics.GaugeOpts{
		Namespace:      "capstan",
		Subsystem:      "shard",
		Name:           "replicas",
		Help:           "Number of live replicas this replica shares the Applications with, itself included.",
		StabilityLevel: metrics.ALPHA,
	})
	ownedGauge = metrics.NewGauge(&metrics.GaugeOpts{
		Namespace:      "capstan",
		Subsystem:      "shard",
		Name:           "owned_applications",
		Help:           "Number of Applications this replica owns: compares, syncs and caches the objects of.",
		StabilityLevel: metrics.ALPHA,
	})
	totalGauge = metrics.NewGauge(&metrics.GaugeOpts{
		Namespace:      "capstan",
		Subsystem:      "shard",
		Name:           "applications",
		Help:           "Number of Applications shared among the live replicas; owned_applications divided by it is this replica's share.",
		StabilityLevel: metrics.ALPHA,
	})
	membershipChanges = metrics.NewCounter(&metrics.CounterOpts{
		Namespace:      "capstan",
		Subsystem:      "shard",
		Name:           "membership_changes_total",
		Help:           "Number of times the set of live replicas changed, as this replica saw it.",
		StabilityLevel: metrics.ALPHA,
	})
	takeovers = metrics.NewCounter(&metrics.CounterOpts{
		Namespace:      "capstan",
		Subsystem:      "shard",
		Name:           "operation_takeovers_total",
		Help:           "Number of running operations this replica took over from a replica whose Lease expired.",
		StabilityLevel: metrics.ALPHA,
	})

	registerMetricsOnce sync.Once
)

// RegisterMetrics registers the sharding metrics; New's callers call it once
// or more.
func RegisterMetrics() {
	registerMetricsOnce.Do(func() {
		legacyregistry.MustRegister(replicasGauge, ownedGauge, totalGauge, membershipChanges, takeovers)
	})
}

// shareInterval is how often the share metrics are recomputed.
const shareInterval = 5 * time.Second

// ReportShare publishes this replica's share of keys every few seconds and
// after every change of the live replicas, until ctx ends. keys lists every
// key (every Application's KeyOf).
func (s *Sharder) ReportShare(ctx context.Context, keys func() []string) {
	changed := make(chan struct{}, 1)
	s.AddHandler(func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	ticker := time.NewTicker(shareInterval)
	defer ticker.Stop()
	for {
		all := keys()
		owned := 0
		for _, key := range all {
			if s.Owns(key) {
				owned++
			}
		}
		ownedGauge.Set(float64(owned))
		totalGauge.Set(float64(len(all)))
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-changed:
		}
	}
}
