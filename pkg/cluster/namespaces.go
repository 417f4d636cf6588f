package cluster

import (
	"context"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// NamespaceIndex knows which namespaces of a cluster exist, from one watch of
// their metadata, so that a comparison need not ask for each target of a
// namespace that does not exist yet (every object of a new Application's new
// namespace), and a sync need not ask whether its destination namespace
// exists. It starts watching on first use; until it has listed the
// namespaces, or when it may not (a cluster restricted to some namespaces,
// RBAC), it answers "unknown" and callers ask the API server as before.
type NamespaceIndex struct {
	client metadata.Interface
	ctx    context.Context

	once     sync.Once
	mu       sync.Mutex
	disabled bool
	informer cache.SharedIndexInformer
	// applied are namespaces a sync created or changed, as the API server
	// returned them, until the watch delivers any event of them: the
	// comparison and the next step of the sync that created a namespace
	// then know it exists without asking.
	applied map[string]*unstructured.Unstructured
}

var namespacesResource = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// newNamespaceIndex returns an index that watches nothing until asked.
func newNamespaceIndex(ctx context.Context, client metadata.Interface) *NamespaceIndex {
	return &NamespaceIndex{client: client, ctx: ctx}
}

// disable makes the index answer "unknown" forever: the cluster's credentials
// do not reach every namespace.
func (n *NamespaceIndex) disable() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.disabled = true
}

// start begins the watch of namespaces once.
func (n *NamespaceIndex) start() {
	n.once.Do(func() {
		factory := metadatainformer.NewSharedInformerFactory(n.client, 0)
		informer := factory.ForResource(namespacesResource).Informer()
		if err := informer.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
			klog.FromContext(n.ctx).V(2).Info("Namespace watch failed; namespaces are looked up one by one", "err", err)
		}); err != nil {
			return
		}
		if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    n.watched,
			UpdateFunc: func(_, obj any) { n.watched(obj) },
			DeleteFunc: n.watched,
		}); err != nil {
			return
		}
		factory.Start(n.ctx.Done())
		n.mu.Lock()
		n.informer = informer
		n.mu.Unlock()
	})
}

// Get returns the metadata of namespace as a Namespace object, or nil when it
// does not exist. known is false when the index cannot tell yet: the caller
// must ask the API server.
func (n *NamespaceIndex) Get(name string) (namespace *unstructured.Unstructured, known bool) {
	if n == nil {
		return nil, false
	}
	n.mu.Lock()
	disabled := n.disabled
	n.mu.Unlock()
	if disabled {
		return nil, false
	}
	n.start()
	n.mu.Lock()
	informer := n.informer
	n.mu.Unlock()
	if informer == nil || !informer.HasSynced() {
		return nil, false
	}
	obj, exists, err := informer.GetStore().GetByKey(name)
	if err != nil {
		return nil, false
	}
	if !exists {
		n.mu.Lock()
		applied := n.applied[name]
		n.mu.Unlock()
		if applied != nil {
			return applied.DeepCopy(), true
		}
		return nil, true
	}
	partial, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return nil, false
	}
	out := &unstructured.Unstructured{}
	out.SetAPIVersion("v1")
	out.SetKind("Namespace")
	meta := partial.ObjectMeta.DeepCopy()
	out.SetName(meta.Name)
	out.SetUID(meta.UID)
	out.SetResourceVersion(meta.ResourceVersion)
	out.SetLabels(meta.Labels)
	out.SetAnnotations(meta.Annotations)
	out.SetDeletionTimestamp(meta.DeletionTimestamp)
	out.SetCreationTimestamp(meta.CreationTimestamp)
	out.SetManagedFields(meta.ManagedFields)
	return out, true
}

// Exists tells whether namespace exists; known is false when the index
// cannot tell yet.
func (n *NamespaceIndex) Exists(name string) (exists, known bool) {
	namespace, known := n.Get(name)
	return namespace != nil, known
}

// Applied records a namespace as an apply returned it, until the watch
// delivers any event of it.
func (n *NamespaceIndex) Applied(namespace *unstructured.Unstructured) {
	if n == nil || namespace.GetName() == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.applied == nil {
		n.applied = map[string]*unstructured.Unstructured{}
	}
	n.applied[namespace.GetName()] = namespace.DeepCopy()
}

// watched ends the applied entry of a namespace the watch saw an event of.
func (n *NamespaceIndex) watched(obj any) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	accessor, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.applied, accessor.GetName())
}
