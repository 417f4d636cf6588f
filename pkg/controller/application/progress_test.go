package application

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	clocktesting "k8s.io/utils/clock/testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/compare"
)

// rollingOut is an Application whose Deployment is rolling out, as its
// status was last written.
func rollingOut(message string) *v1alpha1.Application {
	app := testApplication()
	app.ResourceVersion = "1"
	app.Status.Sync.Status = v1alpha1.SyncStatusCodeSynced
	app.Status.Health = v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusProgressing, Message: "Caused by apps/Deployment:apps/web", LastTransitionTime: &metav1.Time{Time: time.Unix(1, 0)}}
	app.Status.Resources = []v1alpha1.ResourceStatus{
		{Group: "apps", Kind: "Deployment", Namespace: "apps", Name: "web", Status: v1alpha1.SyncStatusCodeSynced,
			Health: &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusProgressing, Message: message}},
		{Kind: "ConfigMap", Namespace: "apps", Name: "settings", Status: v1alpha1.SyncStatusCodeSynced},
	}
	return app
}

// comparedAs is a comparison that finds app's resources as given.
func comparedAs(app *v1alpha1.Application, health v1alpha1.HealthStatusCode, resources []v1alpha1.ResourceStatus) compare.Result {
	return compare.Result{SyncStatus: app.Status.Sync.Status, Health: v1alpha1.HealthStatus{Status: health, Message: app.Status.Health.Message}, Resources: resources}
}

func withProgress(app *v1alpha1.Application, health v1alpha1.HealthStatusCode, message string) []v1alpha1.ResourceStatus {
	resources := app.DeepCopy().Status.Resources
	resources[0].Health = &v1alpha1.HealthStatus{Status: health, Message: message}
	return resources
}

func newProgressController(t *testing.T, app *v1alpha1.Application) (*Controller, *clocktesting.FakeClock) {
	t.Helper()
	c := newTestController(t, app, nil)
	clock := clocktesting.NewFakeClock(time.Now())
	c.queue = workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Clock: clock})
	t.Cleanup(c.queue.ShutDown)
	c.progressSince = map[string]time.Time{}
	return c, clock
}

func storedStatus(t *testing.T, c *Controller, app *v1alpha1.Application) v1alpha1.ApplicationStatus {
	t.Helper()
	stored, err := c.client.CapstanV1alpha1().Applications(app.Namespace).Get(context.Background(), app.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return stored.Status
}

func TestANewProgressMessageWaitsForTheNextChangeOrTheDelay(t *testing.T) {
	ctx := context.Background()
	const before, after = "Waiting for rollout to finish: observed deployment generation less than desired generation",
		"Waiting for rollout to finish: 0 out of 1 new replicas have been updated..."
	app := rollingOut(before)
	key := app.Namespace + "/" + app.Name

	t.Run("a message alone is not written, and the Application is compared again after the delay", func(t *testing.T) {
		c, clock := newProgressController(t, app)
		written, err := c.writeStatus(ctx, app, comparedAs(app, v1alpha1.HealthStatusProgressing, withProgress(app, v1alpha1.HealthStatusProgressing, after)))
		if err != nil || written != nil {
			t.Fatalf("writeStatus = %v, %v; want no write", written, err)
		}
		if got := storedStatus(t, c, app).Resources[0].Health.Message; got != before {
			t.Errorf("stored message = %q, want %q (nothing written)", got, before)
		}
		if !c.progressPending(key) {
			t.Errorf("the message is not pending: the next refresh would take the comparison as written")
		}
		clock.Step(ProgressMessageDelay - time.Millisecond)
		if n := c.queue.Len(); n != 0 {
			t.Errorf("queued before the delay: %d", n)
		}
		clock.Step(time.Millisecond)
		if err := waitForQueued(c, key); err != nil {
			t.Error(err)
		}

		// The comparison after the delay writes the message.
		c.mu.Lock()
		c.progressSince[key] = time.Now().Add(-ProgressMessageDelay)
		c.mu.Unlock()
		written, err = c.writeStatus(ctx, app, comparedAs(app, v1alpha1.HealthStatusProgressing, withProgress(app, v1alpha1.HealthStatusProgressing, after)))
		if err != nil || written == nil {
			t.Fatalf("writeStatus after the delay = %v, %v; want the message written", written, err)
		}
		if got := written.Status.Resources[0].Health.Message; got != after {
			t.Errorf("written message = %q, want %q", got, after)
		}
		if c.progressPending(key) {
			t.Errorf("still pending after the write")
		}
	})

	t.Run("the next change of health is written at once, with the message", func(t *testing.T) {
		c, _ := newProgressController(t, app)
		if written, err := c.writeStatus(ctx, app, comparedAs(app, v1alpha1.HealthStatusProgressing, withProgress(app, v1alpha1.HealthStatusProgressing, after))); err != nil || written != nil {
			t.Fatalf("writeStatus = %v, %v; want no write", written, err)
		}
		written, err := c.writeStatus(ctx, app, comparedAs(app, v1alpha1.HealthStatusHealthy, withProgress(app, v1alpha1.HealthStatusHealthy, "")))
		if err != nil || written == nil {
			t.Fatalf("writeStatus = %v, %v; want Healthy written", written, err)
		}
		if written.Status.Health.Status != v1alpha1.HealthStatusHealthy || written.Status.Resources[0].Health.Status != v1alpha1.HealthStatusHealthy {
			t.Errorf("written health = %v / %v, want Healthy", written.Status.Health, written.Status.Resources[0].Health)
		}
		if c.progressPending(key) {
			t.Errorf("still pending after the write")
		}
	})

	for _, tt := range []struct {
		name   string
		app    func() *v1alpha1.Application
		result func(app *v1alpha1.Application) compare.Result
	}{
		{"a message of a Degraded resource", func() *v1alpha1.Application { return rollingOut(before) }, func(app *v1alpha1.Application) compare.Result {
			return comparedAs(app, v1alpha1.HealthStatusProgressing, withProgress(app, v1alpha1.HealthStatusDegraded, "Deployment exceeded its progress deadline"))
		}},
		{"a message and a sync status", func() *v1alpha1.Application { return rollingOut(before) }, func(app *v1alpha1.Application) compare.Result {
			result := comparedAs(app, v1alpha1.HealthStatusProgressing, withProgress(app, v1alpha1.HealthStatusProgressing, after))
			result.SyncStatus = v1alpha1.SyncStatusCodeOutOfSync
			return result
		}},
		{"a message when a refresh was requested", func() *v1alpha1.Application {
			app := rollingOut(before)
			app.Annotations = map[string]string{RefreshAnnotation: "normal"}
			return app
		}, func(app *v1alpha1.Application) compare.Result {
			return comparedAs(app, v1alpha1.HealthStatusProgressing, withProgress(app, v1alpha1.HealthStatusProgressing, after))
		}},
	} {
		t.Run(tt.name+" is written at once", func(t *testing.T) {
			app := tt.app()
			c, _ := newProgressController(t, app)
			written, err := c.writeStatus(ctx, app, tt.result(app))
			if err != nil || written == nil {
				t.Fatalf("writeStatus = %v, %v; want a write", written, err)
			}
		})
	}
}

// waitForQueued waits for key in c's queue (the fake clock has passed its
// time; the queue moves it in a goroutine of its own).
func waitForQueued(c *Controller, key string) error {
	deadline := time.Now().Add(10 * time.Second)
	for c.queue.Len() == 0 {
		if time.Now().After(deadline) {
			return apierrors.NewTimeoutError("the Application was not queued again after the delay", 0)
		}
		time.Sleep(time.Millisecond)
	}
	if got, _ := c.queue.Get(); got != key {
		return apierrors.NewBadRequest("queued " + got + ", want " + key)
	}
	return nil
}

func TestOnlyProgressMessages(t *testing.T) {
	app := rollingOut("a")
	same := app.Status.DeepCopy()
	if onlyProgressMessages(&app.Status, same) {
		t.Errorf("an unchanged status counts as a progress message")
	}
	healthy := app.Status.DeepCopy()
	healthy.Resources[0].Health.Status = v1alpha1.HealthStatusHealthy
	healthy.Resources[0].Health.Message = ""
	if onlyProgressMessages(&app.Status, healthy) {
		t.Errorf("a resource turning Healthy counts as a progress message")
	}
	appMessage := app.Status.DeepCopy()
	appMessage.Health.Message = "Caused by apps/Deployment:apps/web, apps/Deployment:apps/api"
	if !onlyProgressMessages(&app.Status, appMessage) {
		t.Errorf("a new message of a Progressing Application is not a progress message")
	}
	if app.Status.Health.Message == "" || app.Status.Resources[0].Health.Message != "a" || appMessage.Resources[0].Health.Message != "a" {
		t.Errorf("comparing blanked the messages of the statuses compared")
	}
}

// TestAWaitingProgressMessageIsComparedAgainAndWritten drives the refreshes
// of one Application through the controller's own paths: a comparison that
// found only a new progress message is not remembered as written, so the
// refresh after the wait (the queue's, with nothing else changed) compares
// again and writes it, even when the comparisons are quiet.
func TestAWaitingProgressMessageIsComparedAgainAndWritten(t *testing.T) {
	const key = "apps/guestbook"
	const before, after = "Waiting for rollout to finish: 0 out of 1 new replicas have been updated...",
		"Waiting for rollout to finish: 0 of 1 updated replicas are available..."
	rolling := func(message string) compare.Result {
		result := compared(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusProgressing)
		result.Resources[0].Health.Message = message
		result.Quiet = true
		result.Inputs = compare.Inputs{Revisions: "abc123", Settings: 1}
		return result
	}
	app := testApp()
	app.ResourceVersion = "1"
	f := newFixture(t, rolling(before))
	f.comparer.inputs = rolling(before).Inputs
	f.apps = []*v1alpha1.Application{app}
	f.projects = []*v1alpha1.AppProject{defaultProject()}
	c := f.controller()
	c.applicationChanged(nil, app)
	f.refresh(c, key)
	if got := f.stored(t, key).Status.Resources[0].Health.Message; got != before {
		t.Fatalf("first refresh wrote message %q, want %q", got, before)
	}
	f.client.ClearActions()

	// The Deployment's status changes: only its message is new.
	f.comparer.result = rolling(after)
	c.ManagedObjectChanged(cluster.InstanceLabelValue("apps", "guestbook"))
	f.refresh(c, key)
	if writes := f.writes(); len(writes) != 0 {
		t.Fatalf("a new progress message alone was written at once: %v", writes)
	}

	// The refresh the queue makes after the wait: nothing else changed.
	c.mu.Lock()
	c.progressSince[key] = time.Now().Add(-ProgressMessageDelay)
	c.mu.Unlock()
	f.refresh(c, key)
	if got := f.stored(t, key).Status.Resources[0].Health.Message; got != after {
		t.Errorf("after the wait the stored message is %q, want %q (writes %v)", got, after, f.writes())
	}
	if n := len(f.comparer.asked); n != 3 {
		t.Errorf("%d comparisons, want 3: the refresh after the wait must compare", n)
	}
}
