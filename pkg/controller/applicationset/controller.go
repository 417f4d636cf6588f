// Package applicationset is Argo CD's ApplicationSet controller: it runs the
// generators of every ApplicationSet, renders the Applications they describe
// and creates, updates and deletes them under the ApplicationSet's policy and
// the AppProject rules, reporting what it did in the ApplicationSet's status.
//
// It never deletes or changes an Application because something failed: any
// generator, template or project error leaves every existing Application as
// it is and is reported as the ErrorOccurred condition and an Event.
package applicationset

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/generators"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
	listers "capstan.dev/capstan/pkg/generated/listers/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/project"
	"capstan.dev/capstan/pkg/refresh"
)

// FieldManager is the field manager of every write to generated Applications.
const FieldManager = "capstan-applicationset"

// RefreshAnnotation on an ApplicationSet asks for its generators to run now
// with fresh Git ref listings; the controller removes it when it starts that
// run, so that a request written during the run asks for another.
const RefreshAnnotation = refresh.ApplicationSetAnnotation

// DefaultMaxResources bounds status.resources, as Argo CD 3.2 does.
const DefaultMaxResources = 5000

// errorRequeue is how soon an ApplicationSet whose generation failed is
// tried again (Argo CD's ReconcileRequeueOnValidationError).
const errorRequeue = 3 * time.Minute

// Options configure the controller.
type Options struct {
	// Workers is the number of ApplicationSets reconciled in parallel.
	Workers int
	// Generators run the ApplicationSets' generators.
	Generators *generators.Generators
	// Clusters lists the destination clusters: an Application whose cluster
	// is gone is deleted without its resources finalizer, which could never
	// complete.
	Clusters generators.ClusterSource
	// SyncPolicy is the controller's applicationsSync policy (Argo CD's
	// --policy); empty means sync.
	SyncPolicy v1alpha1.ApplicationsSyncPolicy
	// AllowPolicyOverride lets an ApplicationSet's own policy apply.
	AllowPolicyOverride bool
	// ProgressiveSyncs enables the RollingSync strategy.
	ProgressiveSyncs bool
	// Policy holds the project rules' server-wide settings.
	Policy project.Policy
	// Recorder records Events on ApplicationSets; nil records none.
	Recorder record.EventRecorder
	// ClusterSecrets, when set, is an informer of the cluster Secrets:
	// ApplicationSets with a Clusters generator run again when one changes.
	ClusterSecrets cache.SharedIndexInformer
	// MaxResources bounds status.resources; zero means DefaultMaxResources.
	MaxResources int
	// Owns, when set, tells whether this replica reconciles the
	// ApplicationSet namespace/name (pkg/sharding); nil reconciles all.
	Owns func(namespace, name string) bool
}

// Controller reconciles ApplicationSets.
type Controller struct {
	client   clientset.Interface
	appSets  listers.ApplicationSetLister
	apps     listers.ApplicationLister
	projects listers.AppProjectLister
	synced   []cache.InformerSynced
	options  Options
	queue    workqueue.TypedRateLimitingInterface[string]

	mu sync.Mutex
	// full holds the keys queued for a full reconcile; the others only
	// refresh status from their Applications.
	full map[string]bool
}

// New returns a controller over the informers of factory (ApplicationSets,
// Applications, AppProjects), which the caller starts.
func New(client clientset.Interface, factory informers.SharedInformerFactory, options Options) (*Controller, error) {
	if options.Workers <= 0 {
		options.Workers = 1
	}
	if options.MaxResources <= 0 {
		options.MaxResources = DefaultMaxResources
	}
	if options.Recorder == nil {
		options.Recorder = &record.FakeRecorder{}
	}
	capstan := factory.Capstan().V1alpha1()
	appSets, apps, projects := capstan.ApplicationSets(), capstan.Applications(), capstan.AppProjects()
	c := &Controller{
		client:   client,
		appSets:  appSets.Lister(),
		apps:     apps.Lister(),
		projects: projects.Lister(),
		synced:   []cache.InformerSynced{appSets.Informer().HasSynced, apps.Informer().HasSynced, projects.Informer().HasSynced},
		options:  options,
		full:     map[string]bool{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "applicationset"}),
	}
	handlers := []struct {
		informer cache.SharedIndexInformer
		handler  cache.ResourceEventHandler
	}{
		{appSets.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { c.enqueueAppSet(obj, true) },
			UpdateFunc: c.appSetChanged,
			DeleteFunc: func(obj any) {},
		}},
		{apps.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { c.applicationChanged(nil, obj) },
			UpdateFunc: c.applicationChanged,
			DeleteFunc: func(obj any) { c.applicationChanged(nil, obj) },
		}},
		{projects.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { c.enqueueAll(func(*v1alpha1.ApplicationSet) bool { return true }) },
			UpdateFunc: c.projectChanged,
			DeleteFunc: func(any) { c.enqueueAll(func(*v1alpha1.ApplicationSet) bool { return true }) },
		}},
	}
	if options.ClusterSecrets != nil {
		c.synced = append(c.synced, options.ClusterSecrets.HasSynced)
		handlers = append(handlers, struct {
			informer cache.SharedIndexInformer
			handler  cache.ResourceEventHandler
		}{options.ClusterSecrets, cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { c.enqueueAll(generators.UsesClusters) },
			UpdateFunc: func(any, any) { c.enqueueAll(generators.UsesClusters) },
			DeleteFunc: func(any) { c.enqueueAll(generators.UsesClusters) },
		}})
	}
	for _, h := range handlers {
		if _, err := h.informer.AddEventHandler(h.handler); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Run processes ApplicationSets until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	logger := klog.FromContext(ctx)
	logger.Info("Starting ApplicationSet controller", "workers", c.options.Workers, "policy", c.options.SyncPolicy,
		"progressiveSyncs", c.options.ProgressiveSyncs)
	if !cache.WaitForNamedCacheSync("applicationset", ctx.Done(), c.synced...) {
		return fmt.Errorf("caches did not sync")
	}
	var workers sync.WaitGroup
	for range c.options.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			wait.UntilWithContext(ctx, c.work, time.Second)
		}()
	}
	<-ctx.Done()
	c.queue.ShutDown()
	workers.Wait()
	return nil
}

func (c *Controller) work(ctx context.Context) {
	for c.processNext(ctx) {
	}
}

func (c *Controller) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	c.mu.Lock()
	full := c.full[key]
	delete(c.full, key)
	c.mu.Unlock()
	if !c.owns(key) {
		// Another replica reconciles it; OwnershipChanged brings it back.
		c.queue.Forget(key)
		return true
	}
	requeue, err := c.reconcile(ctx, key, full)
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Reconciling an ApplicationSet", "key", key)
		c.markFull(key)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	if requeue > 0 {
		c.markFull(key)
		c.queue.AddAfter(key, requeue)
	}
	return true
}

// owns tells whether this replica reconciles the ApplicationSet key.
func (c *Controller) owns(key string) bool {
	if c.options.Owns == nil {
		return true
	}
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	return err == nil && c.options.Owns(namespace, name)
}

// OwnershipChanged is told when the live replicas changed: it runs the
// ApplicationSets this replica reconciles now.
func (c *Controller) OwnershipChanged() {
	c.enqueueAll(func(appSet *v1alpha1.ApplicationSet) bool {
		return c.owns(appSet.Namespace + "/" + appSet.Name)
	})
}

func (c *Controller) markFull(key string) {
	c.mu.Lock()
	c.full[key] = true
	c.mu.Unlock()
}

// enqueue queues an ApplicationSet; full asks for its generators to run,
// otherwise only its status is refreshed from its Applications.
func (c *Controller) enqueue(key string, full bool) {
	if full {
		c.markFull(key)
	}
	c.queue.Add(key)
}

func (c *Controller) enqueueAppSet(obj any, full bool) {
	if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
		c.enqueue(key, full)
	}
}

// appSetChanged runs the generators again when anything but status changed.
func (c *Controller) appSetChanged(oldObj, newObj any) {
	old, okOld := oldObj.(*v1alpha1.ApplicationSet)
	appSet, ok := newObj.(*v1alpha1.ApplicationSet)
	if !ok || !okOld {
		return
	}
	if old.Generation == appSet.Generation && equality.Semantic.DeepEqual(old.Annotations, appSet.Annotations) &&
		equality.Semantic.DeepEqual(old.Labels, appSet.Labels) && equality.Semantic.DeepEqual(old.Finalizers, appSet.Finalizers) &&
		(old.DeletionTimestamp == nil) == (appSet.DeletionTimestamp == nil) {
		return
	}
	c.enqueueAppSet(appSet, true)
}

// applicationChanged queues the ApplicationSet that owns an Application: a
// change of what the ApplicationSet writes (a manual edit to revert, a
// deletion) runs it fully; a status change only refreshes its status.
func (c *Controller) applicationChanged(oldObj, newObj any) {
	if tombstone, ok := newObj.(cache.DeletedFinalStateUnknown); ok {
		newObj = tombstone.Obj
	}
	app, ok := newObj.(*v1alpha1.Application)
	if !ok {
		return
	}
	owner := ownerAppSet(app)
	if owner == "" {
		return
	}
	key := app.Namespace + "/" + owner
	old, isUpdate := oldObj.(*v1alpha1.Application)
	full := !isUpdate || old.Generation != app.Generation ||
		!equality.Semantic.DeepEqual(old.Labels, app.Labels) || !equality.Semantic.DeepEqual(old.Annotations, app.Annotations) ||
		!equality.Semantic.DeepEqual(old.Finalizers, app.Finalizers) || !equality.Semantic.DeepEqual(old.OwnerReferences, app.OwnerReferences) ||
		(old.DeletionTimestamp == nil) != (app.DeletionTimestamp == nil)
	if !full && statusSummary(old) == statusSummary(app) {
		return
	}
	c.enqueue(key, full)
}

// projectChanged runs every ApplicationSet again when a project's spec
// changed: its rules decide which Applications may be written.
func (c *Controller) projectChanged(oldObj, newObj any) {
	old, okOld := oldObj.(*v1alpha1.AppProject)
	proj, ok := newObj.(*v1alpha1.AppProject)
	if ok && okOld && old.Generation == proj.Generation {
		return
	}
	c.enqueueAll(func(*v1alpha1.ApplicationSet) bool { return true })
}

// enqueueAll runs every ApplicationSet that matches again.
func (c *Controller) enqueueAll(match func(*v1alpha1.ApplicationSet) bool) {
	appSets, err := c.appSets.List(labels.Everything())
	if err != nil {
		return
	}
	for _, appSet := range appSets {
		if match(appSet) {
			c.enqueueAppSet(appSet, true)
		}
	}
}

// ownerAppSet names the ApplicationSet that controls app, if any.
func ownerAppSet(app *v1alpha1.Application) string {
	for _, owner := range app.OwnerReferences {
		if owner.Controller != nil && *owner.Controller && owner.Kind == "ApplicationSet" &&
			owner.APIVersion == v1alpha1.SchemeGroupVersion.String() {
			return owner.Name
		}
	}
	return ""
}
