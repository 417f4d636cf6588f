// Package application is Argo CD's application controller for Capstan's
// Applications. Its files say what each part owns:
//   - controller.go: the queues, the event handlers and the workers;
//   - refresh.go, status.go: comparing an Application and publishing its
//     status, and starting automated syncs;
//   - operation.go: advancing a sync operation one step at a time;
//   - deletion.go: deleting an Application stage by stage (deletion hooks,
//     owned objects, finalizers);
//   - windows.go, identity.go: the project rules those parts apply.
//
// The comparison engine is reached through the Comparer interface, so that the
// decisions can be tested without a cluster.
package application

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/compare"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	listers "capstan.dev/capstan/pkg/generated/listers/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/health"
	"capstan.dev/capstan/pkg/project"
	"capstan.dev/capstan/pkg/refresh"
	syncengine "capstan.dev/capstan/pkg/sync"
)

// RefreshAnnotation asks for a refresh: "normal" or "hard" (also bypass caches).
const RefreshAnnotation = refresh.Annotation

// Options configure the controller.
type Options struct {
	// Workers is the number of Applications refreshed in parallel.
	Workers int
	// Resync is the period of the periodic refresh; each Application gets up
	// to half of it again as jitter, rounded up to the resync grid (5 s).
	// Zero disables periodic refreshes.
	Resync time.Duration
	// OperationWorkers is the number of sync operations run in parallel.
	OperationWorkers int
	// SyncTimeout terminates operations running longer; zero means none.
	SyncTimeout time.Duration
	// Recorder records Events on Applications for status transitions and
	// operations; nil records none.
	Recorder record.EventRecorder
	// Projects is an informer of AppProjects: their orphanedResources settings
	// are part of the comparison, and a changed project refreshes its
	// Applications. Nil reports no orphaned resources.
	Projects cache.SharedIndexInformer
	// Shard, when set, limits the controller to the Applications this
	// replica owns and the operations it claims (see shard.go).
	Shard Shard
	// Worked, when set, is called before and after each comparison and
	// each operation step (memory.Releaser's Worked); refreshes that end
	// quiet (quiet.go) are not work.
	Worked func()
}

// Comparer is what the controller needs of the comparison engine;
// *compare.Comparer is one.
type Comparer interface {
	// Compare compares app's target state with its live state.
	Compare(ctx context.Context, app *v1alpha1.Application, opts compare.Options) compare.Result
	// LiveState reads app's live objects without rendering its target state.
	LiveState(ctx context.Context, app *v1alpha1.Application, proj *v1alpha1.AppProject) (*cluster.Cluster, map[cluster.ResourceKey]*unstructured.Unstructured, error)
	// RememberApplied records that applying target returned applied.
	RememberApplied(app *v1alpha1.Application, target, applied *unstructured.Unstructured) error
	// WriteClient is the client that writes app's objects into destination.
	WriteClient(app *v1alpha1.Application, proj *v1alpha1.AppProject, destination *cluster.Cluster) (dynamic.Interface, error)
	// SyncApplier is the applier of app's syncs into destination, writing
	// with WriteClient.
	SyncApplier(app *v1alpha1.Application, proj *v1alpha1.AppProject, destination *cluster.Cluster) (syncengine.Applier, error)
	// HealthAssessor is the health rules of comparisons and syncs.
	HealthAssessor() health.Assessor
	// Inputs resolves what a comparison would read besides spec, project and
	// live objects, without comparing (see quiet.go).
	Inputs(ctx context.Context, app *v1alpha1.Application, opts compare.Options) (compare.Inputs, error)
}

// Controller compares Applications, runs their operations and deletes them.
type Controller struct {
	client   clientset.Interface
	lister   listers.ApplicationLister
	projects listers.AppProjectLister
	synced   []cache.InformerSynced
	comparer Comparer
	options  Options
	queue    workqueue.TypedRateLimitingInterface[string]
	// operations holds the Applications with an operation to advance; its
	// workers are separate so that long comparisons never delay a sync wave.
	operations workqueue.TypedRateLimitingInterface[string]
	appInfo    *appInfoSeries

	mu sync.Mutex
	// byInstance maps InstanceLabel values to Application keys, so that a change
	// of a managed object refreshes the Application that owns it.
	byInstance map[string]string
	// epochs count, per Application key, the events that may change its
	// comparison; quiet holds its last comparison that only such an event
	// or a change of its inputs can change (quiet.go).
	epochs map[string]uint64
	quiet  map[string]quietComparison
	// resolved holds, per Application key, when a comparison last resolved
	// its sources; sourceEpochs count the events other than changes of its
	// managed objects (recent.go).
	resolved     map[string]resolution
	sourceEpochs map[string]uint64
	// progressSince holds, per Application key, when a comparison first
	// found only new progress messages that are not written yet (progress.go).
	progressSince map[string]time.Time
	// pendingEnds are the ends of operations that the comparison following
	// their last step writes (see reconcileEnding).
	pendingEnds map[string]*operationEnd
	// written are the Applications as this controller last wrote them, until
	// the informer delivers that write (or a later one): the latest copies
	// there are, as far as it knows, so that the next step or comparison
	// neither works on a stale copy (and conflicts) nor reads (written.go).
	written map[string]*v1alpha1.Application
	// mustRead are the Applications whose last write conflicted: someone
	// else wrote them, and the next step or comparison reads them first.
	mustRead map[string]bool
}

// New returns a controller over the Applications of informer.
func New(client clientset.Interface, informer cache.SharedIndexInformer, lister listers.ApplicationLister,
	comparer Comparer, options Options) (*Controller, error) {
	if options.Workers <= 0 {
		options.Workers = 1
	}
	if options.OperationWorkers <= 0 {
		options.OperationWorkers = 1
	}
	RegisterMetrics()
	c := &Controller{
		client:        client,
		lister:        lister,
		synced:        []cache.InformerSynced{informer.HasSynced},
		comparer:      comparer,
		options:       options,
		byInstance:    map[string]string{},
		epochs:        map[string]uint64{},
		quiet:         map[string]quietComparison{},
		resolved:      map[string]resolution{},
		sourceEpochs:  map[string]uint64{},
		progressSince: map[string]time.Time{},
		pendingEnds:   map[string]*operationEnd{},
		written:       map[string]*v1alpha1.Application{},
		mustRead:      map[string]bool{},
		appInfo:       newAppInfoSeries(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			refreshRateLimiter(),
			workqueue.TypedRateLimitingQueueConfig[string]{}),
		operations: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{}),
	}
	_, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { c.applicationChanged(nil, obj) },
		UpdateFunc: func(oldObj, newObj interface{}) { c.applicationChanged(oldObj, newObj) },
		DeleteFunc: c.applicationDeleted,
	})
	if err != nil {
		return nil, err
	}
	if options.Projects != nil {
		c.projects = listers.NewAppProjectLister(options.Projects.GetIndexer())
		c.synced = append(c.synced, options.Projects.HasSynced)
		_, err := options.Projects.AddEventHandler(cache.ResourceEventHandlerFuncs{
			UpdateFunc: c.projectChanged,
		})
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// projectChanged refreshes the Applications of a project whose spec changed,
// as Argo CD's project queue does: its settings (orphanedResources) are part
// of their comparison.
func (c *Controller) projectChanged(oldObj, newObj interface{}) {
	old, okOld := oldObj.(*v1alpha1.AppProject)
	project, ok := newObj.(*v1alpha1.AppProject)
	if !ok || !okOld || old.Generation == project.Generation {
		return
	}
	apps, err := c.lister.List(labels.Everything())
	if err != nil {
		return
	}
	for _, app := range apps {
		if projectName(app) != project.Name || !c.mine(app) {
			continue
		}
		if key, err := cache.MetaNamespaceKeyFunc(app); err == nil {
			c.changed(key)
			c.queue.Add(key)
		}
	}
}

// projectName is the Application's project; empty means "default", as in Argo CD.
func projectName(app *v1alpha1.Application) string {
	return project.NameOf(app.Spec.Project)
}

// ManagedObjectChanged is the cluster.ChangeFunc of the destination caches: it
// refreshes the Application whose InstanceLabel the changed object carries.
func (c *Controller) ManagedObjectChanged(instanceLabel string) {
	c.mu.Lock()
	key, ok := c.byInstance[instanceLabel]
	if ok {
		c.epochs[key]++
	}
	c.mu.Unlock()
	if ok && c.mineKey(key) {
		c.queue.Add(key)
	}
}

func (c *Controller) applicationChanged(oldObj, newObj interface{}) {
	app, ok := newObj.(*v1alpha1.Application)
	if !ok {
		return
	}
	key, err := cache.MetaNamespaceKeyFunc(app)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.byInstance[cluster.InstanceLabelValue(app.Namespace, app.Name)] = key
	c.seenLocked(key, app)
	c.mu.Unlock()
	if old, ok := oldObj.(*v1alpha1.Application); ok && !needsRefresh(old, app) || !c.mine(app) {
		return
	}
	c.changed(key)
	if app.Operation != nil && app.DeletionTimestamp == nil {
		// Straight to the operation workers: an operation must not wait
		// behind the comparisons queued for other Applications.
		c.operations.Add(key)
		return
	}
	c.queue.Add(key)
}

// needsRefresh tells whether an update of an Application asks for a comparison:
// a spec change, a refresh request, a new or terminated operation. Status
// writes (ours) do not.
func needsRefresh(old, app *v1alpha1.Application) bool {
	return old.Generation != app.Generation ||
		(old.Operation == nil) != (app.Operation == nil) ||
		terminating(app) && !terminating(old) ||
		app.Annotations[RefreshAnnotation] != "" && old.Annotations[RefreshAnnotation] != app.Annotations[RefreshAnnotation] ||
		app.Annotations[refresh.PushAnnotation] != "" && old.Annotations[refresh.PushAnnotation] != app.Annotations[refresh.PushAnnotation] ||
		old.DeletionTimestamp == nil && app.DeletionTimestamp != nil ||
		app.DeletionTimestamp != nil && !slices.Equal(old.Finalizers, app.Finalizers)
}

func terminating(app *v1alpha1.Application) bool {
	return app.Status.OperationState != nil && app.Status.OperationState.Phase == v1alpha1.OperationTerminating
}

func (c *Controller) applicationDeleted(obj interface{}) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	app, ok := obj.(*v1alpha1.Application)
	if !ok {
		return
	}
	c.mu.Lock()
	delete(c.byInstance, cluster.InstanceLabelValue(app.Namespace, app.Name))
	if key, err := cache.MetaNamespaceKeyFunc(app); err == nil {
		delete(c.epochs, key)
		delete(c.quiet, key)
		delete(c.resolved, key)
		delete(c.sourceEpochs, key)
		delete(c.progressSince, key)
		delete(c.written, key)
		delete(c.mustRead, key)
	}
	c.mu.Unlock()
	c.appInfo.delete(app.Namespace, app.Name)
}

// Run refreshes Applications until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	defer c.operations.ShutDown()
	defer c.appInfo.clear()
	refreshQueues.Store(c.queue, nil)
	defer refreshQueues.Delete(c.queue)
	logger := klog.FromContext(ctx)
	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced...) {
		return fmt.Errorf("application informer did not sync")
	}
	logger.Info("Starting application workers", "refresh", c.options.Workers, "operation", c.options.OperationWorkers)
	var wg sync.WaitGroup
	start := func(workers int, work func(context.Context)) {
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				wait.UntilWithContext(ctx, work, time.Second)
			}()
		}
	}
	start(c.options.Workers, c.worker)
	start(c.options.OperationWorkers, c.operationWorker)
	<-ctx.Done()
	c.queue.ShutDown()
	c.operations.ShutDown()
	wg.Wait()
	return nil
}

func (c *Controller) worker(ctx context.Context) {
	for c.processNext(ctx) {
	}
}

func (c *Controller) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if !c.mineKey(key) {
		// Another replica works on it; OwnershipChanged brings it back.
		c.queue.Forget(key)
		return true
	}
	start := time.Now()
	err := c.refresh(ctx, key)
	observeReconcile(start)
	var failed comparisonFailed
	var held sourceHeld
	switch {
	case errors.As(err, &held):
		// Compared with the last resolved revision: try the source again at
		// a steady pace (not a growing backoff), so that the Application
		// moves on soon after the source is back.
		klog.FromContext(ctx).V(2).Info("Source unreachable; holding the last resolved revision", "application", key, "reason", held.message)
		c.queue.Forget(key)
		c.queue.AddAfter(key, heldRecheck(c.options.Resync))
		return true
	case errors.As(err, &failed):
		// Recorded as a condition already; try again with backoff, since the
		// cause (an unreachable repository, a missing CRD) may go away soon.
		klog.FromContext(ctx).V(2).Info("Comparison failed; retrying with backoff", "application", key, "reason", failed.message)
		c.queue.AddRateLimited(key)
		return true
	case apierrors.IsConflict(err):
		// Written meanwhile (by a user, or another replica): compare again
		// on the latest copy, read then.
		klog.FromContext(ctx).V(2).Info("Status write conflicted; refreshing again on the latest copy", "application", key, "err", err)
		c.conflicted(key)
		c.queue.AddRateLimited(key)
		return true
	case err != nil:
		klog.FromContext(ctx).Error(err, "Refreshing application failed", "application", key)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	if c.options.Resync > 0 {
		jitter := time.Duration(rand.Int64N(int64(c.options.Resync/2) + 1))
		c.queue.AddAfter(key, resyncDelay(time.Now(), c.options.Resync+jitter))
	}
	return true
}

// resyncGrid is the granularity of the periodic refresh: every Application's
// next one falls on a multiple of it (of wall-clock time), so that an idle
// controller wakes once per grid step for all the Applications due then
// instead of once for each (1,000 Applications and a 3-minute resync: about
// 5 wakeups a second otherwise).
const resyncGrid = 5 * time.Second

// resyncDelay is how long after now the periodic refresh due after delay
// runs: at the first multiple of resyncGrid at or after now+delay.
func resyncDelay(now time.Time, delay time.Duration) time.Duration {
	due := now.Add(delay)
	aligned := due.Truncate(resyncGrid)
	if aligned.Before(due) {
		aligned = aligned.Add(resyncGrid)
	}
	return aligned.Sub(now)
}

// maxRefreshBackoff bounds the backoff of a failed comparison: once the cause
// is gone (a destination or a repository back after an outage), every
// Application recovers within it by itself, however long the outage was.
const maxRefreshBackoff = 30 * time.Second

// refreshRateLimiter is client-go's default controller rate limiter (per
// Application exponential backoff from 5 ms, 10 retries a second overall)
// with the per-Application backoff capped at maxRefreshBackoff instead of
// 1000 s.
func refreshRateLimiter() workqueue.TypedRateLimiter[string] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, maxRefreshBackoff),
		&workqueue.TypedBucketRateLimiter[string]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}

// comparisonFailed reports a comparison that failed and was recorded as a
// condition: the refresh is retried with backoff instead of waiting for the
// periodic resync.
type comparisonFailed struct {
	message string
}

func (e comparisonFailed) Error() string { return "comparison failed: " + e.message }

// sourceHeld reports a comparison made with the last resolved revision
// because a source could not be reached: the status is written, and the
// source is looked at again after heldRecheck.
type sourceHeld struct {
	message string
}

func (e sourceHeld) Error() string { return "holding the last resolved revision: " + e.message }

// maxHeldRecheck bounds the wait before an Application that holds its last
// resolved revision looks at its source again.
const maxHeldRecheck = 30 * time.Second

// heldRecheck is how long an Application holding its last resolved revision
// waits before trying its source again: the periodic resync, at most
// maxHeldRecheck.
func heldRecheck(resync time.Duration) time.Duration {
	if resync > 0 && resync < maxHeldRecheck {
		return resync
	}
	return maxHeldRecheck
}
