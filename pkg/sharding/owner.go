package sharding

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	listers "capstan.dev/capstan/pkg/generated/listers/capstan/v1alpha1"
)

// OwnerAnnotation names the replica that owns an Application: the one that
// compares it, syncs it and caches its objects. The owner writes it; it is
// information for people (`kubectl get app -o yaml`), not a lock: the claim
// of an operation is ClaimAnnotation.
const OwnerAnnotation = "capstan.dev/shard-owner"

// RecordOwners writes OwnerAnnotation on the Applications this replica owns
// whenever it names another replica (or none), until ctx ends: after every
// change of the live replicas and every new or changed Application.
func (a *Applications) RecordOwners(ctx context.Context, informer cache.SharedIndexInformer) error {
	lister := listers.NewApplicationLister(informer.GetIndexer())
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "application-owner"})
	defer queue.ShutDown()
	enqueue := func(obj interface{}) {
		app, ok := obj.(*v1alpha1.Application)
		if ok && app.Annotations[OwnerAnnotation] != a.Identity() && a.Owns(app.Namespace, app.Name) {
			queue.Add(app.Namespace + "/" + app.Name)
		}
	}
	registration, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
	})
	if err != nil {
		return err
	}
	defer func() { _ = informer.RemoveEventHandler(registration) }()
	a.AddHandler(func() {
		apps, err := lister.List(labels.Everything())
		if err != nil {
			return
		}
		for _, app := range apps {
			enqueue(app)
		}
	})
	go func() {
		<-ctx.Done()
		queue.ShutDown()
	}()
	wait.UntilWithContext(ctx, func(ctx context.Context) {
		for a.recordNext(ctx, queue, lister) {
		}
	}, time.Second)
	return nil
}

func (a *Applications) recordNext(ctx context.Context, queue workqueue.TypedRateLimitingInterface[string], lister listers.ApplicationLister) bool {
	key, quit := queue.Get()
	if quit {
		return false
	}
	defer queue.Done(key)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		queue.Forget(key)
		return true
	}
	app, err := lister.Applications(namespace).Get(name)
	if apierrors.IsNotFound(err) || err == nil && (app.Annotations[OwnerAnnotation] == a.Identity() || !a.Owns(namespace, name)) {
		queue.Forget(key)
		return true
	}
	if err == nil {
		err = a.writeOwner(ctx, namespace, name)
	}
	if err != nil {
		klog.FromContext(ctx).V(2).Info("Cannot record the Application's owner", "application", key, "err", err)
		queue.AddRateLimited(key)
		return true
	}
	queue.Forget(key)
	return true
}

func (a *Applications) writeOwner(ctx context.Context, namespace, name string) error {
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, OwnerAnnotation, a.Identity()))
	_, err := a.Client.CapstanV1alpha1().Applications(namespace).Patch(ctx, name, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: fieldManager})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
