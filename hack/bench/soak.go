package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// soakHealLimit is how long a commit or a drift may take to be healed: the
// app Synced and Healthy on the commit, the drifted ConfigMap reverted.
const soakHealLimit = 2 * time.Minute

// soakChange is one commit or drift of the soak and when it was healed.
type soakChange struct {
	kind       string // "commit" or "drift"
	app        int
	generation int    // commit: the target ConfigMap's generation it sets
	marker     string // drift: the value it patched in
	at         time.Time
	seenAt     time.Time // drift: the informer saw the patch; commit: saw it applied
	healedAt   time.Time
}

// soakState is what the soak's informers and loops share.
type soakState struct {
	mu      sync.Mutex
	commits map[int]*soakChange // pending, by app index
	drifts  map[int]*soakChange
	done    []*soakChange
	// errors are every failure, once each: failed API calls, failed or
	// errored operations, error conditions, changes not healed in time.
	errors   []string
	seenErrs map[string]bool
	// latencies of Capstan's own API, by request.
	latencies map[string][]time.Duration
}

func (s *soakState) fail(key, format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seenErrs[key] {
		return
	}
	s.seenErrs[key] = true
	msg := fmt.Sprintf(format, args...)
	s.errors = append(s.errors, msg)
	logf("soak error: %s", msg)
}

func (s *soakState) timed(name string, call func() error) error {
	started := time.Now()
	err := call()
	took := time.Since(started)
	s.mu.Lock()
	s.latencies[name] = append(s.latencies[name], took)
	s.mu.Unlock()
	if err != nil {
		s.fail(fmt.Sprintf("api %s %d", name, started.UnixNano()), "%s: %v", name, err)
	}
	return err
}

// runSoak is `make soak`: after the cold sync, for cfg.soak, it commits a
// change to a random app every second (announced by the refresh annotation)
// and patches the target ConfigMap of a random app every second (a drift
// self-heal reverts), while probing Capstan's API (GET one Application, LIST
// all) every second. It reports errors (must be zero), p50/p99 of each API
// request, the time from each change to healed, and capstan-apiserver's RSS
// and goroutines at the start and the end.
func runSoak(ctx context.Context, env *environment, r *report) error {
	pid, err := env.capstanPID()
	if err != nil {
		return fmt.Errorf("capstan-apiserver's PID: %w", err)
	}
	metrics, err := newMetricsClient(env)
	if err != nil {
		return err
	}
	state := &soakState{commits: map[int]*soakChange{}, drifts: map[int]*soakChange{},
		seenErrs: map[string]bool{}, latencies: map[string][]time.Duration{}}
	index := map[string]int{}
	for i, a := range env.apps {
		index[a.Name] = i
	}

	// Applications: operations that failed, error conditions, commits healed.
	stopObserving := env.observe(func(app *v1alpha1.Application, now time.Time) {
		if op := app.Status.OperationState; op != nil && (op.Phase == v1alpha1.OperationFailed || op.Phase == v1alpha1.OperationError) {
			state.fail("op "+app.Name+op.StartedAt.String(), "%s: operation %s: %s", app.Name, op.Phase, op.Message)
		}
		for _, c := range app.Status.Conditions {
			if strings.HasSuffix(string(c.Type), "Error") {
				state.fail("cond "+app.Name+string(c.Type)+c.Message, "%s: condition %s: %s", app.Name, c.Type, c.Message)
			}
		}
		i, ok := index[app.Name]
		if !ok {
			return
		}
		state.mu.Lock()
		defer state.mu.Unlock()
		if c, ok := state.commits[i]; ok && !c.seenAt.IsZero() && syncedAndHealthy(app) {
			c.healedAt = now
			state.done = append(state.done, c)
			delete(state.commits, c.app)
		}
	})
	defer stopObserving()

	// Target ConfigMaps: commits applied, drifts seen and reverted.
	factory := informers.NewSharedInformerFactoryWithOptions(env.kube, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = driftLabel + "=true" }))
	configMaps := factory.Core().V1().ConfigMaps().Informer()
	byNamespace := map[string]int{}
	for i, a := range env.apps {
		byNamespace[a.Namespace()] = i
	}
	record := func(obj any) {
		cm, ok := obj.(*corev1.ConfigMap)
		if !ok {
			return
		}
		i, ok := byNamespace[cm.Namespace]
		if !ok {
			return
		}
		now := time.Now()
		state.mu.Lock()
		defer state.mu.Unlock()
		if d, ok := state.drifts[i]; ok {
			switch value := cm.Data["drift"]; {
			case value == d.marker && d.seenAt.IsZero():
				d.seenAt = now
			case value == "original" && !d.seenAt.IsZero():
				d.healedAt = now
				state.done = append(state.done, d)
				delete(state.drifts, i)
			}
		}
		if c, ok := state.commits[i]; ok && c.seenAt.IsZero() && cm.Data["generation"] == strconv.Itoa(c.generation) {
			c.seenAt = now
			// The app may have reported Synced and Healthy before this event arrived.
			if obj, exists, _ := env.appInformer.GetStore().GetByKey(appNamespace + "/" + env.apps[i].Name); exists && syncedAndHealthy(obj.(*v1alpha1.Application)) {
				c.healedAt = now
				state.done = append(state.done, c)
				delete(state.commits, i)
			}
		}
	}
	if _, err := configMaps.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: record, UpdateFunc: func(_, obj any) { record(obj) },
	}); err != nil {
		return err
	}
	informCtx, stopInform := context.WithCancel(ctx)
	defer stopInform()
	go configMaps.Run(informCtx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), configMaps.HasSynced) {
		return fmt.Errorf("the ConfigMap informer did not sync")
	}

	startProc, err := sampleProcess(pid)
	if err != nil {
		return err
	}
	startGoroutines, err := metrics.gauge(ctx, "go_goroutines")
	if err != nil {
		return err
	}
	startHeap, err := metrics.liveHeap(ctx)
	if err != nil {
		return err
	}
	logf("soak: %d apps for %s; capstan-apiserver RSS %.0f MiB, live heap %.0f MiB, %d goroutines", len(env.apps), env.cfg.soak,
		float64(startProc.RSSBytes)/mib, startHeap/mib, int(startGoroutines))

	started := time.Now()
	deadline := started.Add(env.cfg.soak)
	// Commits, drifts and probes each keep their own one-per-second pace.
	var (
		loops           sync.WaitGroup
		commits, drifts int
		loopErr         error
	)
	every := func(seed uint64, step func(rng *rand.Rand, second int) error) {
		loops.Add(1)
		go func() {
			defer loops.Done()
			rng := rand.New(rand.NewPCG(uint64(started.UnixNano()), seed))
			ticker := time.NewTicker(time.Second)
			defer ticker.Stop()
			for second := 0; time.Now().Before(deadline); second++ {
				select {
				case <-ctx.Done():
					return
				case <-ticker.C:
				}
				if err := step(rng, second); err != nil {
					state.mu.Lock()
					loopErr = err
					state.mu.Unlock()
					return
				}
			}
		}()
	}
	every(1, func(rng *rand.Rand, _ int) error {
		state.expire(env, time.Now())
		made, err := soakCommit(ctx, env, state, rng)
		if made {
			commits++
		}
		return err
	})
	every(2, func(rng *rand.Rand, second int) error {
		if soakDrift(ctx, env, state, rng, second) {
			drifts++
		}
		return nil
	})
	every(3, func(rng *rand.Rand, _ int) error {
		soakProbe(ctx, env, state, rng)
		return nil
	})
	var samples []map[string]any
	for time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(min(30*time.Second, time.Until(deadline))):
		}
		if proc, err := sampleProcess(pid); err == nil {
			g, _ := metrics.gauge(ctx, "go_goroutines")
			live, _ := metrics.gauge(ctx, "go_gc_heap_live_bytes")
			samples = append(samples, map[string]any{"seconds": int(time.Since(started).Seconds()),
				"rssMiB": float64(proc.RSSBytes) / mib, "liveHeapMiB": live / mib, "goroutines": int(g)})
			state.mu.Lock()
			logf("soak: %s: %d changes healed, %d pending, %d errors; RSS %.0f MiB, live heap %.0f MiB, %d goroutines",
				time.Since(started).Round(time.Second), len(state.done), len(state.commits)+len(state.drifts),
				len(state.errors), float64(proc.RSSBytes)/mib, live/mib, int(g))
			state.mu.Unlock()
		}
	}
	loops.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if loopErr != nil {
		return loopErr
	}
	logf("soak: window over, waiting up to %s for the last changes to heal", soakHealLimit)
	waitUntil(ctx, soakHealLimit, 250*time.Millisecond, func() bool {
		state.mu.Lock()
		defer state.mu.Unlock()
		return len(state.commits)+len(state.drifts) == 0
	})
	state.expire(env, time.Now().Add(soakHealLimit))
	// The last reverted drift's app turns Synced a moment after the revert.
	waitUntil(ctx, soakHealLimit, 250*time.Millisecond, func() bool {
		_, _, both := env.appStates()
		return both == len(env.apps)
	})
	synced, healthy, both := env.appStates()
	if both != len(env.apps) {
		state.fail("final", "at the end %d/%d apps Synced and Healthy (%d Synced, %d Healthy)", both, len(env.apps), synced, healthy)
	}

	endProc, err := sampleProcess(pid)
	if err != nil {
		return err
	}
	endGoroutines, err := metrics.gauge(ctx, "go_goroutines")
	if err != nil {
		return err
	}
	endHeap, err := metrics.liveHeap(ctx)
	if err != nil {
		return err
	}
	state.mu.Lock()
	defer state.mu.Unlock()
	r.add(figure{Scenario: "soak", Name: "commits pushed", Unit: "", Value: float64(commits), Floor: env.cfg.soak.Seconds(),
		FloorNote: "one per second"})
	r.add(figure{Scenario: "soak", Name: "drifts made", Unit: "", Value: float64(drifts), Floor: env.cfg.soak.Seconds(),
		FloorNote: "one per second"})
	r.add(figure{Scenario: "soak", Name: "errors", Unit: "", Value: float64(len(state.errors)),
		FloorNote: "must be zero: failed API calls or operations, error conditions, changes not healed within " + soakHealLimit.String()})
	var commitHeal, driftHeal []time.Duration
	for _, c := range state.done {
		if c.kind == "commit" {
			commitHeal = append(commitHeal, c.healedAt.Sub(c.at))
		} else {
			driftHeal = append(driftHeal, c.healedAt.Sub(c.at))
		}
	}
	addPercentiles(r, "commit to app Synced+Healthy on it", commitHeal)
	addPercentiles(r, "drift to drift reverted", driftHeal)
	names := make([]string, 0, len(state.latencies))
	for name := range state.latencies {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		addPercentiles(r, "capstan API "+name, state.latencies[name])
	}
	r.add(figure{Scenario: "soak", Name: "capstan-apiserver RSS at start", Unit: "MiB", Value: float64(startProc.RSSBytes) / mib, FloorNote: noFloor})
	r.add(figure{Scenario: "soak", Name: "capstan-apiserver RSS at end", Unit: "MiB", Value: float64(endProc.RSSBytes) / mib, FloorNote: noFloor})
	r.add(figure{Scenario: "soak", Name: "capstan-apiserver RSS growth", Unit: "MiB", Value: float64(endProc.RSSBytes-startProc.RSSBytes) / mib, FloorNote: noFloor})
	r.add(figure{Scenario: "soak", Name: "live heap after GC at start", Unit: "MiB", Value: startHeap / mib, FloorNote: noFloor})
	r.add(figure{Scenario: "soak", Name: "live heap after GC at end", Unit: "MiB", Value: endHeap / mib, FloorNote: noFloor})
	r.add(figure{Scenario: "soak", Name: "live heap growth", Unit: "MiB", Value: (endHeap - startHeap) / mib, FloorNote: noFloor})
	r.add(figure{Scenario: "soak", Name: "goroutines at start", Unit: "", Value: startGoroutines, FloorNote: noFloor})
	r.add(figure{Scenario: "soak", Name: "goroutines at end", Unit: "", Value: endGoroutines, FloorNote: noFloor})
	r.detail("soakSamples", samples)
	r.detail("soakChanges", len(state.done))
	r.detail("soakErrors", state.errors)
	if len(state.errors) > 0 {
		return fmt.Errorf("%d errors (first: %s)", len(state.errors), state.errors[0])
	}
	return nil
}

// addPercentiles adds p50 and p99 of samples, figures without a floor (0,
// not NaN: results.json holds no NaN), and their distribution for the chart.
func addPercentiles(r *report, name string, samples []time.Duration) {
	values := seconds(samples)
	r.addDistribution("soak", name, false, values)
	for _, q := range []float64{0.50, 0.99} {
		value := percentile(values, q)
		if math.IsNaN(value) {
			value = 0
		}
		r.add(figure{Scenario: "soak", Name: fmt.Sprintf("%s p%.0f", name, q*100), Unit: "s", Value: value, FloorNote: noFloor})
	}
}

// syncedAndHealthy is the end state of every change.
func syncedAndHealthy(app *v1alpha1.Application) bool {
	return app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && app.Status.Health.Status == v1alpha1.HealthStatusHealthy
}

// expire counts every pending change older than soakHealLimit at now as an
// error and forgets it.
func (s *soakState) expire(env *environment, now time.Time) {
	s.mu.Lock()
	var late []*soakChange
	for _, pending := range []map[int]*soakChange{s.commits, s.drifts} {
		for i, c := range pending {
			if now.Sub(c.at) > soakHealLimit {
				late = append(late, c)
				delete(pending, i)
			}
		}
	}
	s.mu.Unlock()
	for _, c := range late {
		s.fail(fmt.Sprintf("late %s %d %d", c.kind, c.app, c.at.UnixNano()), "%s to %s at %s not healed within %s",
			c.kind, env.apps[c.app].Name, c.at.Format("15:04:05"), soakHealLimit)
	}
}

// pick returns a random app without a pending change in pending, or -1.
func pick(rng *rand.Rand, n int, pending map[int]*soakChange) int {
	for range 20 {
		if i := rng.IntN(n); pending[i] == nil {
			return i
		}
	}
	return -1
}

// soakCommit pushes a change of a random app's target ConfigMap and asks for
// a refresh, as Argo CD's UI and CLI do.
func soakCommit(ctx context.Context, env *environment, state *soakState, rng *rand.Rand) (bool, error) {
	state.mu.Lock()
	i := pick(rng, len(env.apps), state.commits)
	state.mu.Unlock()
	if i < 0 {
		return false, nil
	}
	a := env.apps[i]
	env.generations[i]++
	files, err := a.changedFiles(env.cfg.objects, env.generations[i])
	if err != nil {
		return false, err
	}
	if _, err := env.git.commit(ctx, files, fmt.Sprintf("%s: generation %d", a.Name, env.generations[i])); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	state.mu.Lock()
	state.commits[i] = &soakChange{kind: "commit", app: i, generation: env.generations[i], at: time.Now()}
	state.mu.Unlock()
	_ = state.timed("PATCH application (refresh)", func() error { return annotateForRefresh(env)(ctx, a, "", "", nil) })
	return true, nil
}

// soakDrift patches a random app's target ConfigMap as `kubectl patch` would.
func soakDrift(ctx context.Context, env *environment, state *soakState, rng *rand.Rand, second int) bool {
	state.mu.Lock()
	i := pick(rng, len(env.apps), state.drifts)
	if i < 0 {
		state.mu.Unlock()
		return false
	}
	a := env.apps[i]
	marker := fmt.Sprintf("soak-drift-%d", second)
	state.drifts[i] = &soakChange{kind: "drift", app: i, marker: marker, at: time.Now()}
	state.mu.Unlock()
	patch := []byte(fmt.Sprintf(`{"data":{"drift":%q}}`, marker))
	if _, err := env.kube.CoreV1().ConfigMaps(a.Namespace()).Patch(ctx, targetConfigMap, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: "kubectl-patch"}); err != nil {
		state.fail("drift "+marker, "drift %s/%s: %v", a.Namespace(), targetConfigMap, err)
		state.mu.Lock()
		delete(state.drifts, i)
		state.mu.Unlock()
		return false
	}
	return true
}

// soakProbe reads Capstan's API as a dashboard or kubectl would.
func soakProbe(ctx context.Context, env *environment, state *soakState, rng *rand.Rand) {
	apps := env.capstan.CapstanV1alpha1().Applications(appNamespace)
	name := env.apps[rng.IntN(len(env.apps))].Name
	_ = state.timed("GET application", func() error {
		_, err := apps.Get(ctx, name, metav1.GetOptions{})
		return err
	})
	_ = state.timed("LIST applications", func() error {
		_, err := apps.List(ctx, metav1.ListOptions{})
		return err
	})
}

// metricsClient reads capstan-apiserver's own /metrics (the Prometheus Go
// collector's go_goroutines among them) on its secure port, as the admin.
type metricsClient struct {
	url    string
	client *http.Client
}

func newMetricsClient(env *environment) (*metricsClient, error) {
	port, err := planeValue(env.cfg.localDir, "PORT_APISERVER")
	if err != nil {
		return nil, err
	}
	cfg := rest.CopyConfig(env.rest)
	// capstan-apiserver serves with its own CA; the admin's client
	// certificate authenticates (delegated authentication).
	cfg.TLSClientConfig.Insecure, cfg.TLSClientConfig.CAData, cfg.TLSClientConfig.CAFile = true, nil, ""
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &metricsClient{url: "https://127.0.0.1:" + port + "/metrics", client: client}, nil
}

// liveHeap collects garbage in capstan-apiserver (its heap profile with
// gc=1 runs one) and returns the heap that survived, from the Go
// collector's go_gc_heap_live_bytes: what a leak would grow, which RSS
// shows only blurred by the garbage collector's pacing and scavenging.
func (m *metricsClient) liveHeap(ctx context.Context) (float64, error) {
	return m.liveHeapProfile(ctx, io.Discard)
}

// liveHeapProfile is liveHeap that also writes the heap profile to profile.
func (m *metricsClient) liveHeapProfile(ctx context.Context, profile io.Writer) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(m.url, "/metrics")+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return 0, err
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("capstan-apiserver heap profile: %w", err)
	}
	_, err = io.Copy(profile, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("capstan-apiserver heap profile: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("capstan-apiserver heap profile: %s", resp.Status)
	}
	return m.gauge(ctx, "go_gc_heap_live_bytes")
}

// saveProfile writes capstan-apiserver's /debug/pprof/<query> to path.
func (m *metricsClient) saveProfile(ctx context.Context, query, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(m.url, "/metrics")+"/debug/pprof/"+query, nil)
	if err != nil {
		return err
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return fmt.Errorf("capstan-apiserver /debug/pprof/%s: %w", query, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("capstan-apiserver /debug/pprof/%s: %s", query, resp.Status)
	}
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(file, resp.Body); err != nil {
		file.Close()
		return fmt.Errorf("capstan-apiserver /debug/pprof/%s: %w", query, err)
	}
	return file.Close()
}

// applicationWrites counts the writes of Applications capstan-apiserver has
// served (apiserver_request_total): those that succeeded and those that
// conflicted, the successful ones by verb and subresource; and the work of
// its controllers: refreshes (capstan_app_reconcile_duration_seconds) and
// renders that ran a tool (capstan_render_cache_total{result="miss"}).
type applicationWrites struct {
	ok, conflicts int64
	byKind        map[string]int64
	reconciles    int64
	renders       int64
}

// perApp returns the counts of after minus before, divided by apps.
func (after applicationWrites) perApp(before applicationWrites, apps int) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after.byKind {
		if d := v - before.byKind[k]; d != 0 {
			out[k] = float64(d) / float64(apps)
		}
	}
	return out
}

// scrape reads capstan-apiserver's /metrics once, line by line.
func (m *metricsClient) scrape(ctx context.Context, each func(line string) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url, nil)
	if err != nil {
		return err
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return fmt.Errorf("capstan-apiserver /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("capstan-apiserver /metrics: %s", resp.Status)
	}
	scanner := bufio.NewScanner(resp.Body)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		if err := each(scanner.Text()); err != nil {
			return err
		}
	}
	return scanner.Err()
}

func (m *metricsClient) applicationWrites(ctx context.Context) (applicationWrites, error) {
	counts := applicationWrites{byKind: map[string]int64{}}
	err := m.scrape(ctx, func(line string) error {
		switch {
		case strings.HasPrefix(line, "capstan_app_reconcile_duration_seconds_count "):
			fields := strings.Fields(line)
			v, _ := strconv.ParseFloat(fields[len(fields)-1], 64)
			counts.reconciles = int64(v)
			return nil
		case strings.HasPrefix(line, `capstan_render_cache_total{result="miss"} `):
			fields := strings.Fields(line)
			v, _ := strconv.ParseFloat(fields[len(fields)-1], 64)
			counts.renders = int64(v)
			return nil
		}
		labels, ok := strings.CutPrefix(line, "apiserver_request_total{")
		if !ok || !strings.Contains(labels, `resource="applications"`) || strings.Contains(labels, `dry_run="All"`) {
			return nil
		}
		write := false
		for _, verb := range []string{"POST", "PUT", "PATCH", "APPLY"} {
			write = write || strings.Contains(labels, `verb="`+verb+`"`)
		}
		if !write {
			return nil
		}
		fields := strings.Fields(line)
		value, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return fmt.Errorf("capstan-apiserver /metrics: %q: %w", line, err)
		}
		switch {
		case strings.Contains(labels, `code="409"`):
			counts.conflicts += int64(value)
		case strings.Contains(labels, `code="20`):
			counts.ok += int64(value)
			counts.byKind[labelValue(labels, "verb")+" "+labelValue(labels, "subresource")] += int64(value)
		}
		return nil
	})
	return counts, err
}

// gauge returns the value of an unlabelled metric.
func (m *metricsClient) gauge(ctx context.Context, name string) (float64, error) {
	values, err := m.gauges(ctx, name)
	return values[name], err
}

// gauges returns the values of unlabelled metrics, from one scrape.
func (m *metricsClient) gauges(ctx context.Context, names ...string) (map[string]float64, error) {
	values := map[string]float64{}
	err := m.scrape(ctx, func(line string) error {
		name, value, ok := strings.Cut(line, " ")
		if !ok || !slices.Contains(names, name) {
			return nil
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return fmt.Errorf("capstan-apiserver /metrics: %s: %w", name, err)
		}
		values[name] = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, ok := values[name]; !ok {
			return nil, fmt.Errorf("capstan-apiserver /metrics has no %s", name)
		}
	}
	return values, nil
}

// labelValue returns the value of label name in a Prometheus label list.
func labelValue(labels, name string) string {
	_, rest, ok := strings.Cut(labels, name+`="`)
	if !ok {
		return ""
	}
	value, _, _ := strings.Cut(rest, `"`)
	return value
}
