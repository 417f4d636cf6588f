package application

import (
	"context"
	"strings"
	"testing"
	"time"

	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/component-base/metrics/testutil"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/compare"
	"capstan.dev/capstan/pkg/generated/clientset/versioned/fake"
)

// newTestController returns a controller over a fake clientset holding app,
// with a fake recorder when recorder is not nil.
func newTestController(t *testing.T, app *v1alpha1.Application, recorder *record.FakeRecorder) *Controller {
	t.Helper()
	RegisterMetrics()
	appInfo.Reset()
	t.Cleanup(appInfo.Reset)
	options := Options{}
	if recorder != nil {
		options.Recorder = recorder
	}
	return &Controller{client: fake.NewSimpleClientset(app), options: options, appInfo: newAppInfoSeries()}
}

func testApplication() *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "guestbook"},
		Spec:       v1alpha1.ApplicationSpec{Project: "default"},
	}
}

func comparison(syncStatus v1alpha1.SyncStatusCode, healthStatus v1alpha1.HealthStatusCode) compare.Result {
	return compare.Result{SyncStatus: syncStatus, Health: v1alpha1.HealthStatus{Status: healthStatus}}
}

const appInfoHeader = `
# HELP capstan_app_info [ALPHA] Information about an Application: 1 for its current project, sync status and health status.
# TYPE capstan_app_info gauge
`

func TestAppInfoFollowsTheStatus(t *testing.T) {
	ctx := context.Background()
	app := testApplication()
	c := newTestController(t, app, nil)

	if _, err := c.writeStatus(ctx, app, comparison(v1alpha1.SyncStatusCodeOutOfSync, v1alpha1.HealthStatusMissing)); err != nil {
		t.Fatal(err)
	}
	expectAppInfo(t, `capstan_app_info{health_status="Missing",name="guestbook",namespace="apps",project="default",sync_status="OutOfSync"} 1`)

	t.Run("a status change replaces the series instead of adding one", func(t *testing.T) {
		if _, err := c.writeStatus(ctx, app, comparison(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusHealthy)); err != nil {
			t.Fatal(err)
		}
		expectAppInfo(t, `capstan_app_info{health_status="Healthy",name="guestbook",namespace="apps",project="default",sync_status="Synced"} 1`)
	})
	t.Run("a controller that forgot the series publishes it again", func(t *testing.T) {
		unchanged := app.DeepCopy()
		unchanged.Status.Sync.Status = v1alpha1.SyncStatusCodeSynced
		unchanged.Status.Health.Status = v1alpha1.HealthStatusHealthy
		c.appInfo.clear()
		if _, err := c.writeStatus(ctx, unchanged, comparison(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusHealthy)); err != nil {
			t.Fatal(err)
		}
		expectAppInfo(t, `capstan_app_info{health_status="Healthy",name="guestbook",namespace="apps",project="default",sync_status="Synced"} 1`)
	})
	t.Run("a deleted application loses its series", func(t *testing.T) {
		c.applicationDeleted(app)
		if err := testutil.GatherAndCompare(legacyregistry.DefaultGatherer, strings.NewReader(""), "capstan_app_info"); err != nil {
			t.Error(err)
		}
	})
}

func expectAppInfo(t *testing.T, series string) {
	t.Helper()
	if err := testutil.GatherAndCompare(legacyregistry.DefaultGatherer, strings.NewReader(appInfoHeader+series+"\n"), "capstan_app_info"); err != nil {
		t.Error(err)
	}
}

func TestFinishedOperationsAreCountedByPhase(t *testing.T) {
	app := testApplication()
	app.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}}
	c := newTestController(t, app, nil)
	before, err := testutil.GetCounterMetricValue(operationsTotal.WithLabelValues(string(v1alpha1.OperationFailed)))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.finishOperation(context.Background(), app, newState(app.Operation), v1alpha1.OperationFailed, "one or more objects failed to apply"); err != nil {
		t.Fatal(err)
	}
	after, err := testutil.GetCounterMetricValue(operationsTotal.WithLabelValues(string(v1alpha1.OperationFailed)))
	if err != nil {
		t.Fatal(err)
	}
	if after-before != 1 {
		t.Errorf("capstan_app_operations_total{phase=Failed} grew by %v, want 1", after-before)
	}
}

func TestReconcileDurationIsObserved(t *testing.T) {
	RegisterMetrics()
	count := func() uint64 {
		t.Helper()
		histogram, err := testutil.GetHistogramVecFromGatherer(legacyregistry.DefaultGatherer, "capstan_app_reconcile_duration_seconds", nil)
		if err != nil {
			t.Fatal(err)
		}
		return histogram.GetAggregatedSampleCount()
	}
	before := count()
	observeReconcile(time.Now())
	if got := count() - before; got != 1 {
		t.Errorf("capstan_app_reconcile_duration_seconds count grew by %d, want 1", got)
	}
}

func TestRefreshQueueDepthFollowsTheQueue(t *testing.T) {
	RegisterMetrics()
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{})
	t.Cleanup(queue.ShutDown)
	refreshQueues.Store(queue, nil)
	t.Cleanup(func() { refreshQueues.Delete(queue) })
	depth := func() float64 {
		t.Helper()
		return promtestutil.ToFloat64(refreshQueueDepth)
	}
	start := depth()
	queue.Add("apps/a")
	queue.Add("apps/b")
	queue.Add("apps/a")
	if got := depth() - start; got != 2 {
		t.Errorf("after adding two keys the depth grew by %v, want 2", got)
	}
	key, _ := queue.Get()
	queue.Done(key)
	if got := depth() - start; got != 1 {
		t.Errorf("after taking one key the depth is %v above the start, want 1", got)
	}
}
