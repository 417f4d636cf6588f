package application

import (
	"slices"
	"sync"
	"time"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// The controller's Prometheus metrics. They live in legacyregistry, the
// registry the generic API server serves at /metrics, so they are package
// level like every metric of a Kubernetes component.
var (
	appInfo = metrics.NewGaugeVec(&metrics.GaugeOpts{
		Namespace:      "capstan",
		Subsystem:      "app",
		Name:           "info",
		Help:           "Information about an Application: 1 for its current project, sync status and health status.",
		StabilityLevel: metrics.ALPHA,
	}, []string{"namespace", "name", "project", "sync_status", "health_status"})

	reconcileDuration = metrics.NewHistogram(&metrics.HistogramOpts{
		Namespace:      "capstan",
		Subsystem:      "app",
		Name:           "reconcile_duration_seconds",
		Help:           "Time taken by one refresh of an Application: comparison, status write, operation step or deletion step.",
		Buckets:        []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64},
		StabilityLevel: metrics.ALPHA,
	})

	// refreshQueueDepth is read from the queue when scraped: a queue given a
	// metrics provider runs a goroutine that wakes twice a second, for ever,
	// to update gauges this controller does not export.
	refreshQueueDepth = metrics.NewGaugeFunc(&metrics.GaugeOpts{
		Namespace:      "capstan",
		Subsystem:      "app",
		Name:           "refresh_queue_depth",
		Help:           "Number of Applications waiting in the refresh queue.",
		StabilityLevel: metrics.ALPHA,
	}, func() float64 {
		depth := 0
		refreshQueues.Range(func(queue, _ any) bool {
			depth += queue.(interface{ Len() int }).Len()
			return true
		})
		return float64(depth)
	})
	// refreshQueues are the refresh queues of the running controllers.
	refreshQueues sync.Map

	operationsTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace:      "capstan",
		Subsystem:      "app",
		Name:           "operations_total",
		Help:           "Number of finished Application operations, by final phase.",
		StabilityLevel: metrics.ALPHA,
	}, []string{"phase"})

	registerMetricsOnce sync.Once
)

// RegisterMetrics registers the controller's metrics in legacyregistry. It
// may be called any number of times; New calls it.
func RegisterMetrics() {
	registerMetricsOnce.Do(func() {
		legacyregistry.MustRegister(appInfo, reconcileDuration, operationsTotal)
		legacyregistry.RawMustRegister(refreshQueueDepth)
	})
}

// appInfoSeries remembers the capstan_app_info label set of every
// Application, so that the series of an old status or a deleted Application
// is removed instead of left at 1.
type appInfoSeries struct {
	mu    sync.Mutex
	byKey map[string][]string
}

func newAppInfoSeries() *appInfoSeries {
	return &appInfoSeries{byKey: map[string][]string{}}
}

// set publishes the Application's info series, replacing the previous one.
func (s *appInfoSeries) set(app *v1alpha1.Application, syncStatus v1alpha1.SyncStatusCode, healthStatus v1alpha1.HealthStatusCode) {
	labels := []string{app.Namespace, app.Name, app.Spec.Project, string(syncStatus), string(healthStatus)}
	key := app.Namespace + "/" + app.Name
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.byKey[key]; ok {
		if slices.Equal(old, labels) {
			return
		}
		appInfo.DeleteLabelValues(old...)
	}
	appInfo.WithLabelValues(labels...).Set(1)
	s.byKey[key] = labels
}

// delete removes the info series of a deleted Application.
func (s *appInfoSeries) delete(namespace, name string) {
	key := namespace + "/" + name
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.byKey[key]; ok {
		appInfo.DeleteLabelValues(old...)
		delete(s.byKey, key)
	}
}

// clear removes every series this controller published: a controller that
// stops (lost leadership) no longer vouches for them.
func (s *appInfoSeries) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, old := range s.byKey {
		appInfo.DeleteLabelValues(old...)
		delete(s.byKey, key)
	}
}

func observeReconcile(start time.Time) {
	reconcileDuration.Observe(time.Since(start).Seconds())
}

func countOperation(phase v1alpha1.OperationPhase) {
	operationsTotal.WithLabelValues(string(phase)).Inc()
}
