package engine

import (
	"context"
	"hash/fnv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// eventWriters is how many broadcasters, each with its own writer, record a
// component's Events. One client-go broadcaster writes its Events one at a
// time and drops what does not fit its queue of 1,000: during the cold sync
// of 1,000 Applications, about seven Events each, most were dropped.
const eventWriters = 8

// eventCacheSize bounds each broadcaster's correlation caches (repeats,
// aggregation, spam filter: three caches of this many Events), which are
// client-go's 4,096 by default: eight broadcasters held every Event of a
// cold sync of 1,000 Applications (about 10 MiB). An Event whose earlier
// copy was forgotten is written as a new Event rather than as a repeat.
const eventCacheSize = 512

// eventDelay is how long after it happened an Event is written at the
// earliest. The Events of a change (a sync status, an operation that
// starts) happen just before the requests that act on it: written at
// once, they compete with those requests for the API server. A person reads
// them a quarter of a second later; under load, queued Events are older
// than that and are not held.
const eventDelay = 250 * time.Millisecond

// eventRecorder records Events on Applications in the cluster Capstan runs
// in: Events are core/v1 objects that Capstan's own API does not serve. The
// broadcasters stop with ctx.
func (e *Engine) eventRecorder(ctx context.Context, component string) record.EventRecorder {
	// The scheme gives the Events' involvedObject the Application's apiVersion and kind.
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	sink := deferredSink{EventSink: &typedcorev1.EventSinkImpl{Interface: e.Kube.CoreV1().Events("")}, delay: eventDelay, ctx: ctx}
	recorders := make(shardedRecorder, eventWriters)
	for i := range recorders {
		broadcaster := record.NewBroadcaster(record.WithContext(ctx), record.WithCorrelatorOptions(record.CorrelatorOptions{LRUCacheSize: eventCacheSize}))
		broadcaster.StartRecordingToSink(sink)
		recorders[i] = broadcaster.NewRecorder(scheme, corev1.EventSource{Component: component})
	}
	return recorders
}

// shardedRecorder sends the Events of one object always to the same
// recorder, so that each broadcaster's correlation (counting repeats,
// aggregating similar Events, the spam filter), which is per object, sees
// all of that object's Events, and they are written in order.
type shardedRecorder []record.EventRecorder

func (s shardedRecorder) of(object runtime.Object) record.EventRecorder {
	accessor, err := meta.Accessor(object)
	if err != nil {
		return s[0]
	}
	hash := fnv.New32a()
	_, _ = hash.Write([]byte(accessor.GetNamespace() + "/" + accessor.GetName()))
	return s[hash.Sum32()%uint32(len(s))]
}

func (s shardedRecorder) Event(object runtime.Object, eventtype, reason, message string) {
	s.of(object).Event(object, eventtype, reason, message)
}

func (s shardedRecorder) Eventf(object runtime.Object, eventtype, reason, messageFmt string, args ...interface{}) {
	s.of(object).Eventf(object, eventtype, reason, messageFmt, args...)
}

func (s shardedRecorder) AnnotatedEventf(object runtime.Object, annotations map[string]string, eventtype, reason, messageFmt string, args ...interface{}) {
	s.of(object).AnnotatedEventf(object, annotations, eventtype, reason, messageFmt, args...)
}

// deferredSink writes an Event no sooner than delay after it happened (its
// lastTimestamp): see eventDelay. Each broadcaster writes its Events one at a
// time, so an Event held back also holds those behind it, which are younger.
type deferredSink struct {
	record.EventSink
	delay time.Duration
	ctx   context.Context
}

func (s deferredSink) hold(event *corev1.Event) {
	wait := time.Until(event.LastTimestamp.Add(s.delay))
	if wait <= 0 {
		return
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-s.ctx.Done():
	}
}

func (s deferredSink) Create(event *corev1.Event) (*corev1.Event, error) {
	s.hold(event)
	return s.EventSink.Create(event)
}

func (s deferredSink) Update(event *corev1.Event) (*corev1.Event, error) {
	s.hold(event)
	return s.EventSink.Update(event)
}

func (s deferredSink) Patch(event *corev1.Event, data []byte) (*corev1.Event, error) {
	s.hold(event)
	return s.EventSink.Patch(event, data)
}
