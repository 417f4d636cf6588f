package synctest

import (
	"context"
	"testing"
	"time"

	syncengine "capstan.dev/capstan/pkg/sync"
	"capstan.dev/capstan/test/fixtures"
	"capstan.dev/capstan/test/localplane"
)

// operationProcessors is the default of capstan-apiserver's --operation-processors.
const operationProcessors = 10

// BenchmarkSyncOneApplicationFiveHundredObjectsFiveWaves syncs one
// Application of 500 objects (ConfigMaps, Secrets, headless Services,
// ServiceAccounts) in 5 waves into a fresh namespace, through the comparer
// and the step machine as the operation processor drives them. ns/op and
// requests/op are Capstan's; ratio and requests-ratio compare them with a
// plain server-side apply of the same objects, wave after wave, measured in
// the same run.
func BenchmarkSyncOneApplicationFiveHundredObjectsFiveWaves(b *testing.B) {
	syncBenchmark{apps: 1, perApp: 500, waves: 5}.run(b)
}

// BenchmarkSyncTwoHundredApplicationsTenObjects syncs 200 Applications of 10
// objects each, operationProcessors at a time, against a plain server-side
// apply of the same 2,000 objects with the same bound.
func BenchmarkSyncTwoHundredApplicationsTenObjects(b *testing.B) {
	syncBenchmark{apps: 200, perApp: 10, waves: 1}.run(b)
}

// syncBenchmark is one shape of sync benchmark: apps Applications of perApp
// objects spread over waves.
type syncBenchmark struct {
	apps, perApp, waves int
}

// requestDelta is what a measured section cost in time and requests.
type requestDelta struct {
	elapsed                        time.Duration
	requests, dryRuns, gets, steps int64
}

func (s syncBenchmark) run(b *testing.B) {
	e := newBenchEngine(b)
	e.warmUp(b)
	var capstan, plain requestDelta
	b.ReportAllocs()
	iteration := 0
	for b.Loop() {
		b.StopTimer()
		round := e.newRound(b, s.apps, s.perApp, s.waves)
		// Alternate which side goes first, so neither always meets the
		// server right after the other's burst.
		plainFirst := iteration%2 == 1
		if plainFirst {
			plain.add(e.measure(b, func(ctx context.Context) error { return e.applyAllPlainly(ctx, round) }))
		}
		b.StartTimer()
		capstan.add(e.measure(b, func(ctx context.Context) error { return e.syncAll(ctx, round) }))
		b.StopTimer()
		if !plainFirst {
			plain.add(e.measure(b, func(ctx context.Context) error { return e.applyAllPlainly(ctx, round) }))
		}
		e.deleteRound(b, round)
		iteration++
		b.StartTimer()
	}
	n := float64(iteration)
	b.ReportMetric(float64(capstan.requests)/n, "requests/op")
	b.ReportMetric(float64(capstan.dryRuns)/n, "dry-runs/op")
	b.ReportMetric(float64(capstan.gets)/n, "gets/op")
	b.ReportMetric(float64(capstan.steps)/n, "steps/op")
	b.ReportMetric(float64(plain.elapsed.Nanoseconds())/n, "plain-ns/op")
	b.ReportMetric(float64(plain.requests)/n, "plain-requests/op")
	if plain.elapsed > 0 && plain.requests > 0 {
		b.ReportMetric(float64(capstan.elapsed)/float64(plain.elapsed), "ratio")
		b.ReportMetric(float64(capstan.requests)/float64(plain.requests), "requests-ratio")
	}
}

func (d *requestDelta) add(other requestDelta) {
	d.elapsed += other.elapsed
	d.requests += other.requests
	d.dryRuns += other.dryRuns
	d.gets += other.gets
	d.steps += other.steps
}

// measure runs section and returns its time and the requests it sent.
func (e *benchEngine) measure(b *testing.B, section func(context.Context) error) requestDelta {
	b.Helper()
	requests, dryRuns, gets, steps := e.counter.Count(), e.counter.CountOf(localplane.RequestDryRun), e.counter.CountOf(localplane.RequestGet), e.steps.Load()
	start := time.Now()
	if err := section(b.Context()); err != nil {
		b.Fatal(err)
	}
	return requestDelta{
		elapsed:  time.Since(start),
		requests: e.counter.Count() - requests,
		dryRuns:  e.counter.CountOf(localplane.RequestDryRun) - dryRuns,
		gets:     e.counter.CountOf(localplane.RequestGet) - gets,
		steps:    e.steps.Load() - steps,
	}
}

// warmUp syncs and applies one object of every kind, outside the timer, so
// that informers, discovery and connections exist before the first iteration,
// as they do in a server that has run for a while.
func (e *benchEngine) warmUp(b *testing.B) {
	b.Helper()
	round := e.newRound(b, 1, len(fixtures.Kinds), 1)
	e.measure(b, func(ctx context.Context) error { return e.syncAll(ctx, round) })
	e.measure(b, func(ctx context.Context) error { return e.applyAllPlainly(ctx, round) })
	e.deleteRound(b, round)
}

// syncAll syncs every app, operationProcessors at a time.
func (e *benchEngine) syncAll(ctx context.Context, round benchRound) error {
	return inParallel(round.apps, operationProcessors, func(app benchApp) error { return e.syncApplication(ctx, app.app) })
}

// applyAllPlainly applies every app's objects plainly, operationProcessors
// apps at a time, each with the sync engine's parallelism.
func (e *benchEngine) applyAllPlainly(ctx context.Context, round benchRound) error {
	return inParallel(round.apps, operationProcessors, func(app benchApp) error {
		return e.applyPlainly(ctx, round.plainNamespace, app.objects, syncengine.DefaultParallelism)
	})
}
