package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/refresh"
)

// runColdSync creates every Application with automated sync and times how
// long until all are Synced and Healthy; then the floor: a server-side-apply
// client with cfg.workers parallel requests applies the same objects into
// namespaces of its own (one per app, created by it as CreateNamespace=true
// makes Capstan do) and waits for the same Deployments to be Available.
func runColdSync(ctx context.Context, env *environment, r *report) error {
	meter := env.startCPUMeter()
	measured, reached, err := createAndSync(ctx, env, r)
	if err != nil {
		return err
	}
	machine, components := meter.stop()
	meter = env.startCPUMeter()
	floor, err := floorColdSync(ctx, env)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	floorMachine, floorComponents := meter.stop()
	ncpu := float64(runtime.NumCPU())
	r.add(figure{Scenario: "cold sync", Name: "machine CPU busy (all processes), cores of " + strconv.Itoa(runtime.NumCPU()), Unit: "cores",
		Value: machine / percentile(measured, 1), Floor: floorMachine / percentile(floor, 1),
		FloorNote: fmt.Sprintf("during the floor's sync; %.0f%% vs %.0f%% busy", 100*machine/percentile(measured, 1)/ncpu, 100*floorMachine/percentile(floor, 1)/ncpu)})
	r.add(figure{Scenario: "cold sync", Name: "machine CPU seconds (all processes)", Unit: "s",
		Value: machine, Floor: floorMachine, FloorNote: "during the floor's sync"})
	for _, c := range meteredComponents {
		if _, ok := components[c]; !ok {
			continue
		}
		r.add(figure{Scenario: "cold sync", Name: "  " + c + " CPU", Unit: "s",
			Value: components[c], Floor: floorComponents[c], FloorNote: "during the floor's sync"})
	}
	r.add(figure{Scenario: "cold sync", Name: "all apps Synced and Healthy", Unit: "s",
		Value: percentile(measured, 1), Floor: percentile(floor, 1),
		FloorNote: fmt.Sprintf("SSA client, %d parallel requests", env.cfg.workers), Reached: reached})
	r.add(figure{Scenario: "cold sync", Name: "one app Synced and Healthy, p50 of apps", Unit: "s",
		Value: percentile(measured, 0.5), Floor: percentile(floor, 0.5), FloorNote: "its objects applied and Available"})
	r.addDistribution("cold sync", "capstan: app Synced+Healthy", false, measured)
	r.addDistribution("cold sync", "floor: app applied+Available", true, floor)
	return nil
}

// runSoakColdSync is the soak's start: every Application created and
// Synced and Healthy, without the floor.
func runSoakColdSync(ctx context.Context, env *environment, r *report) error {
	_, reached, err := createAndSync(ctx, env, r)
	if err == nil && reached != "" {
		err = fmt.Errorf("not every app is Synced and Healthy: %s", reached)
	}
	return err
}

// createAndSync creates the bench's namespace, AppProject and Applications
// and waits for them to be Synced and Healthy (capstanColdSync).
func createAndSync(ctx context.Context, env *environment, r *report) ([]float64, string, error) {
	if err := env.applyNamespace(ctx, appNamespace); err != nil {
		return nil, "", fmt.Errorf("namespace %s: %w", appNamespace, err)
	}
	if err := env.applyProject(ctx); err != nil {
		return nil, "", fmt.Errorf("AppProject %s: %w", benchProject, err)
	}
	return capstanColdSync(ctx, env, r)
}

// capstanColdSync returns each app's time from the start to its first
// Synced+Healthy status, and what was reached when not all got there.
func capstanColdSync(ctx context.Context, env *environment, r *report) ([]float64, string, error) {
	pid, err := env.capstanPID()
	if err != nil {
		return nil, "", fmt.Errorf("capstan-apiserver's PID: %w", err)
	}
	before, err := sampleProcess(pid)
	if err != nil {
		return nil, "", err
	}
	metrics, err := newMetricsClient(env)
	if err != nil {
		return nil, "", err
	}
	writesBefore, writesErr := metrics.applicationWrites(ctx)
	var (
		mu   sync.Mutex
		done = map[string]time.Duration{}
	)
	gitBefore := env.git.counts()
	profiled := env.profileColdSync(ctx)
	defer profiled()
	started := time.Now()
	stop := env.observe(func(app *v1alpha1.Application, now time.Time) {
		if app.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced || app.Status.Health.Status != v1alpha1.HealthStatusHealthy {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, ok := done[app.Name]; !ok {
			done[app.Name] = now.Sub(started)
		}
	})
	defer stop()
	err = parallel(len(env.apps), env.cfg.workers, func(i int) error {
		_, err := env.capstan.CapstanV1alpha1().Applications(appNamespace).Create(ctx, application(env.apps[i], env.git.URL), metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("create Applications: %w", err)
	}
	logf("cold sync: %d Applications created in %s", len(env.apps), time.Since(started).Round(time.Millisecond))
	lastLog := time.Now()
	all := waitUntil(ctx, env.cfg.coldLimit, 250*time.Millisecond, func() bool {
		mu.Lock()
		n := len(done)
		mu.Unlock()
		if time.Since(lastLog) > 15*time.Second {
			synced, healthy, _ := env.appStates()
			logf("cold sync: %d/%d Synced and Healthy (%d Synced, %d Healthy) after %s", n, len(env.apps), synced, healthy,
				time.Since(started).Round(time.Second))
			lastLog = time.Now()
		}
		return n == len(env.apps)
	})
	elapsed := time.Since(started)
	after, err := sampleProcess(pid)
	if err != nil {
		return nil, "", err
	}
	reached := ""
	if !all {
		synced, healthy, both := env.appStates()
		reached = fmt.Sprintf("%d/%d Synced and Healthy (%d Synced, %d Healthy) at limit %s", both, len(env.apps), synced, healthy, env.cfg.coldLimit)
	}
	r.add(figure{Scenario: "cold sync", Name: "capstan-apiserver CPU during the cold sync", Unit: "s",
		Value: after.CPUSeconds - before.CPUSeconds, FloorNote: noFloor})
	r.add(figure{Scenario: "cold sync", Name: "capstan-apiserver peak RSS (VmHWM)", Unit: "MiB",
		Value: float64(after.PeakBytes) / mib, FloorNote: noFloor})
	r.detail("coldSyncWallSeconds", elapsed.Seconds())
	gitAfter := env.git.counts()
	r.add(figure{Scenario: "cold sync", Name: "Git ref listings + fetches", Unit: "req",
		Value: float64(gitAfter.RefLists - gitBefore.RefLists + gitAfter.Fetches - gitBefore.Fetches), Floor: 2,
		FloorNote: "one listing and one fetch for all apps of the repository"})
	// Give the audit log's batch writer a moment to flush the last events.
	time.Sleep(2 * time.Second)
	if requests, byKind, err := countAPIRequests(auditLogPath(env.cfg.localDir), started, started.Add(elapsed)); err == nil {
		r.add(figure{Scenario: "cold sync", Name: "API requests to kube-apiserver per app", Unit: "req",
			Value: float64(requests) / float64(len(env.apps)), Floor: float64(env.cfg.objects + 1),
			FloorNote: "one apply per object and one for the namespace"})
		r.add(figure{Scenario: "cold sync", Name: "  of which Events (sync and health transitions, operations)", Unit: "req",
			Value: float64(byKind["create events"]+byKind["patch events"]) / float64(len(env.apps)), FloorNote: noFloor})
		r.detail("coldSyncRequestsByVerbResource", byKind)
	}
	if writesErr == nil {
		var writesAfter applicationWrites
		if writesAfter, writesErr = metrics.applicationWrites(ctx); writesErr == nil {
			apps := float64(len(env.apps))
			r.add(figure{Scenario: "cold sync", Name: "writes of Applications per app (capstan's own API, besides the create)", Unit: "req",
				Value: float64(writesAfter.ok-writesBefore.ok)/apps - 1, FloorNote: noFloor})
			r.add(figure{Scenario: "cold sync", Name: "  conflicted writes (409) per app", Unit: "req",
				Value: float64(writesAfter.conflicts-writesBefore.conflicts) / apps, Floor: 0, FloorNote: "zero"})
			r.detail("coldSyncApplicationWritesPerApp", writesAfter.perApp(writesBefore, len(env.apps)))
			r.add(figure{Scenario: "cold sync", Name: "refreshes per app (comparisons, operation steps)", Unit: "",
				Value: float64(writesAfter.reconciles-writesBefore.reconciles) / apps, FloorNote: noFloor})
			r.add(figure{Scenario: "cold sync", Name: "renders per app (render cache misses)", Unit: "",
				Value: float64(writesAfter.renders-writesBefore.renders) / apps, FloorNote: noFloor})
		}
	}
	if writesErr != nil {
		r.Failures = append(r.Failures, fmt.Sprintf("cold sync: writes of Applications: %v", writesErr))
	}
	mu.Lock()
	defer mu.Unlock()
	samples := make([]float64, 0, len(done))
	for _, d := range done {
		samples = append(samples, d.Seconds())
	}
	if !all {
		// The slowest figure is the limit: what did not finish took at least that.
		for range len(env.apps) - len(done) {
			samples = append(samples, env.cfg.coldLimit.Seconds())
		}
	}
	env.coldSync = &coldSyncRun{samples: samples, from: started, to: started.Add(elapsed), reached: reached}
	return samples, reached, nil
}

// application is the Argo CD-shaped Application of one app.
func application(a app, repoURL string) *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: a.Name, Namespace: appNamespace,
			Labels: map[string]string{"bench.capstan.dev/flavour": string(a.Flavour)},
			// A monorepo's apps: a push webhook refreshes only those whose files changed.
			Annotations: map[string]string{refresh.ManifestGeneratePathsAnnotation: "."}},
		Spec: v1alpha1.ApplicationSpec{
			Project: benchProject,
			Source:  &v1alpha1.ApplicationSource{RepoURL: repoURL, Path: a.Path(), TargetRevision: "main"},
			Destination: v1alpha1.ApplicationDestination{
				Server: "https://kubernetes.default.svc", Namespace: a.Namespace(),
			},
			SyncPolicy: &v1alpha1.SyncPolicy{
				Automated:   &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true},
				SyncOptions: v1alpha1.SyncOptions{"CreateNamespace=true"},
			},
		},
	}
}

// benchProject is the AppProject of the benchmark's Applications: as a team
// would be given one, it accepts Applications in appNamespace, the
// benchmark's repository and the apps' own namespaces.
const benchProject = "bench"

// applyProject creates or updates benchProject.
func (e *environment) applyProject(ctx context.Context) error {
	project := &v1alpha1.AppProject{
		ObjectMeta: metav1.ObjectMeta{Name: benchProject},
		Spec: v1alpha1.AppProjectSpec{
			Description:              "The Applications of make bench",
			SourceNamespaces:         []string{appNamespace},
			SourceRepos:              []string{e.repoURL()},
			Destinations:             []v1alpha1.ApplicationDestination{{Server: "https://kubernetes.default.svc", Namespace: "bench-*"}},
			ClusterResourceWhitelist: []v1alpha1.ClusterResourceRestrictionItem{{Group: "", Kind: "Namespace", Name: "bench-*"}},
		},
	}
	projects := e.capstan.CapstanV1alpha1().AppProjects()
	existing, err := projects.Get(ctx, benchProject, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = projects.Create(ctx, project, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	existing.Spec = project.Spec
	_, err = projects.Update(ctx, existing, metav1.UpdateOptions{})
	return err
}

// floorColdSync applies every app's objects into its floor namespace and
// returns each app's time until applied and its Deployment Available.
func floorColdSync(ctx context.Context, env *environment) ([]float64, error) {
	var (
		mu        sync.Mutex
		applied   = map[string]time.Duration{}
		available = map[string]time.Duration{}
	)
	started := time.Now()
	factory := informers.NewSharedInformerFactoryWithOptions(env.kube, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = appLabel }))
	deployments := factory.Apps().V1().Deployments().Informer()
	record := func(obj any) {
		d, ok := obj.(*appsv1.Deployment)
		if !ok || !strings.HasPrefix(d.Namespace, "floor-") || !deploymentAvailable(d) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, ok := available[d.Namespace]; !ok {
			available[d.Namespace] = time.Since(started)
		}
	}
	if _, err := deployments.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: record, UpdateFunc: func(_, obj any) { record(obj) },
	}); err != nil {
		return nil, err
	}
	informCtx, stopInform := context.WithCancel(ctx)
	defer stopInform()
	go deployments.Run(informCtx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), deployments.HasSynced) {
		return nil, fmt.Errorf("the Deployment informer did not sync")
	}
	started = time.Now()
	if env.cfg.coldProfile > 0 {
		profiled := make(chan struct{})
		go func() {
			defer close(profiled)
			env.profileKubeAPIServer(ctx, int(min(env.cfg.coldProfile, 55*time.Second)/time.Second), "floor-kube-apiserver-cpu.pb.gz")
		}()
		defer func() { <-profiled }()
	}
	err := parallelApply(ctx, env, func(a app) error {
		ns := a.FloorNamespace()
		if err := env.applyNamespace(ctx, ns); err != nil {
			return err
		}
		for _, obj := range a.objects(env.cfg.objects, 0, ns) {
			if err := env.apply(ctx, ns, obj); err != nil {
				return err
			}
		}
		mu.Lock()
		applied[ns] = time.Since(started)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	logf("floor cold sync: %d apps applied in %s", len(env.apps), time.Since(started).Round(time.Millisecond))
	waitUntil(ctx, env.cfg.coldLimit, 100*time.Millisecond, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(available) == len(env.apps)
	})
	mu.Lock()
	defer mu.Unlock()
	samples := make([]float64, 0, len(env.apps))
	for ns, at := range applied {
		done, ok := available[ns]
		if !ok {
			done = env.cfg.coldLimit
		}
		samples = append(samples, max(at, done).Seconds())
	}
	return samples, nil
}

// parallelApply runs fn for every app on cfg.workers goroutines. The
// objects of one app go in order, as one apply client per app would.
func parallelApply(ctx context.Context, env *environment, fn func(app) error) error {
	return parallel(len(env.apps), env.cfg.workers, func(i int) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fn(env.apps[i])
	})
}

// deploymentAvailable is Argo CD's Healthy for a Deployment in short: the
// controller saw the latest spec and every replica is updated and available.
func deploymentAvailable(d *appsv1.Deployment) bool {
	if d.Status.ObservedGeneration < d.Generation {
		return false
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	if d.Status.UpdatedReplicas < want || d.Status.AvailableReplicas < want {
		return false
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// profileColdSync starts a CPU profile of capstan-apiserver for
// cfg.coldProfile when it is set; the returned function waits for it to be
// saved.
func (e *environment) profileColdSync(ctx context.Context) func() {
	if e.cfg.coldProfile <= 0 {
		return func() {}
	}
	seconds := int(min(e.cfg.coldProfile, 55*time.Second) / time.Second)
	metrics, err := newMetricsClient(e)
	if err != nil {
		logf("cold sync: no profile: %v", err)
		return func() {}
	}
	path := filepath.Join(e.cfg.outDir, "cold-cpu.pb.gz")
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		if err := metrics.saveProfile(ctx, fmt.Sprintf("profile?seconds=%d", seconds), path); err != nil {
			logf("cold sync: no profile: %v", err)
			return
		}
		logf("cold sync: capstan-apiserver's CPU profile of the first %ds: %s (go tool pprof -top)", seconds, path)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		e.profileKubeAPIServer(ctx, seconds, "cold-kube-apiserver-cpu.pb.gz")
	}()
	return func() { <-done; <-done }
}

// profileKubeAPIServer saves a CPU profile of kube-apiserver (its
// /debug/pprof, as the bench's admin) of seconds into the output directory,
// when COLD_PROFILE is set: the floor's sync is profiled too, for a
// comparison of what Capstan's requests and watches cost it.
func (e *environment) profileKubeAPIServer(ctx context.Context, seconds int, name string) {
	path := filepath.Join(e.cfg.outDir, name)
	data, err := e.kube.CoreV1().RESTClient().Get().AbsPath("/debug/pprof/profile").
		Param("seconds", strconv.Itoa(seconds)).Timeout(time.Duration(seconds+30) * time.Second).DoRaw(ctx)
	if err == nil {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		logf("no kube-apiserver profile: %v", err)
		return
	}
	logf("kube-apiserver's CPU profile of %ds: %s", seconds, path)
}
