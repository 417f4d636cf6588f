package engine

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/record"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func testApplication(i int) *v1alpha1.Application {
	return &v1alpha1.Application{
		TypeMeta:   metav1.TypeMeta{APIVersion: "capstan.dev/v1alpha1", Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: fmt.Sprintf("app-%04d", i), UID: "uid"},
	}
}

func TestEventsOfOneObjectGoToOneWriterInOrder(t *testing.T) {
	fakes := make([]*record.FakeRecorder, eventWriters)
	recorders := make(shardedRecorder, eventWriters)
	for i := range recorders {
		fakes[i] = record.NewFakeRecorder(1000)
		recorders[i] = fakes[i]
	}
	const apps = 100
	for step := range 3 {
		for i := range apps {
			recorders.Eventf(testApplication(i), corev1.EventTypeNormal, "Step", "%s step %d", testApplication(i).Name, step)
		}
	}
	used := 0
	for _, fake := range fakes {
		close(fake.Events)
		seen := map[string]int{}
		for event := range fake.Events {
			var name string
			var step int
			if _, err := fmt.Sscanf(event, "Normal Step %s step %d", &name, &step); err != nil {
				t.Fatalf("event %q: %v", event, err)
			}
			if next, ok := seen[name]; ok && step != next {
				t.Errorf("%s: step %d after %d events of it, want them in order", name, step, next)
			}
			seen[name] = step + 1
		}
		for name, n := range seen {
			if n != 3 {
				t.Errorf("%s: %d of its 3 events in this writer, want all of them", name, n)
			}
		}
		if len(seen) > 0 {
			used++
		}
	}
	if used < eventWriters/2 {
		t.Errorf("%d Applications used %d of %d writers", apps, used, eventWriters)
	}
}

// slowSink stores Events as kube-apiserver does, a few milliseconds each
// when it is busy: a latency the local API server does not have when idle.
type slowSink struct {
	delay   time.Duration
	written atomic.Int64
}

func (s *slowSink) Create(event *corev1.Event) (*corev1.Event, error) {
	time.Sleep(s.delay)
	s.written.Add(1)
	return event, nil
}

func (s *slowSink) Update(event *corev1.Event) (*corev1.Event, error) { return s.Create(event) }

func (s *slowSink) Patch(event *corev1.Event, _ []byte) (*corev1.Event, error) {
	return s.Create(event)
}

// BenchmarkEventBurst records a burst of 3,000 Events on 1,000 Applications
// (a cold sync's worth) into a sink taking 2 ms a write, through
// eventWriters broadcasters and, as the reference, through one, and reports
// the share of Events written.
func BenchmarkEventBurst(b *testing.B) {
	scheme := runtime.NewScheme()
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	const apps, perApp = 1000, 3
	burst := func(writers int) float64 {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sink := &slowSink{delay: 2 * time.Millisecond}
		recorders := make(shardedRecorder, writers)
		var broadcasters []record.EventBroadcaster
		for i := range recorders {
			broadcaster := record.NewBroadcaster(record.WithContext(ctx))
			broadcaster.StartRecordingToSink(sink)
			broadcasters = append(broadcasters, broadcaster)
			recorders[i] = broadcaster.NewRecorder(scheme, corev1.EventSource{Component: "bench"})
		}
		for step := range perApp {
			for i := range apps {
				recorders.Eventf(testApplication(i), corev1.EventTypeNormal, fmt.Sprintf("Step%d", step), "step %d", step)
			}
		}
		// Written or dropped: wait until the sink has been quiet for a while.
		last := int64(-1)
		for sink.written.Load() != last {
			last = sink.written.Load()
			time.Sleep(100 * time.Millisecond)
		}
		for _, broadcaster := range broadcasters {
			broadcaster.Shutdown()
		}
		return float64(last) / (apps * perApp)
	}
	var sharded, single float64
	for b.Loop() {
		sharded = burst(eventWriters)
		single = burst(1)
	}
	b.ReportMetric(sharded, "written-share")
	b.ReportMetric(single, "x-one-writer-share")
}

// writeTimes is an EventSink that records when each Event was written.
type writeTimes struct {
	record.EventSink
	at map[string]time.Time
}

func (w *writeTimes) Create(event *corev1.Event) (*corev1.Event, error) {
	w.at[event.Name] = time.Now()
	return event, nil
}

func TestAnEventIsWrittenNoSoonerThanTheDelayAfterItHappened(t *testing.T) {
	written := &writeTimes{at: map[string]time.Time{}}
	const delay = 50 * time.Millisecond
	sink := deferredSink{EventSink: written, delay: delay, ctx: context.Background()}
	fresh := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "fresh"}, LastTimestamp: metav1.NewTime(time.Now())}
	old := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "old"}, LastTimestamp: metav1.NewTime(time.Now().Add(-time.Hour))}
	for _, event := range []*corev1.Event{fresh, old} {
		if _, err := sink.Create(event); err != nil {
			t.Fatal(err)
		}
	}
	if at := written.at["fresh"]; at.Before(fresh.LastTimestamp.Add(delay)) {
		t.Errorf("a fresh Event was written %v after it happened, before the delay of %v", at.Sub(fresh.LastTimestamp.Time), delay)
	}
	if _, ok := written.at["old"]; !ok {
		t.Error("an Event older than the delay was not written")
	}

	// A server stopping does not wait for held Events.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stopping := deferredSink{EventSink: written, delay: time.Hour, ctx: ctx}
	if _, err := stopping.Create(&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "stopping"}, LastTimestamp: metav1.NewTime(time.Now())}); err != nil {
		t.Fatal(err)
	}
	if _, ok := written.at["stopping"]; !ok {
		t.Error("an Event held while the server stops was not written")
	}
}
