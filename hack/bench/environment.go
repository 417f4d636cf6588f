package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
)

// floorFieldManager is the field manager of every object the bench applies.
const floorFieldManager = "capstan-bench"

// environment is what every scenario uses: clients without client-side
// throttling, the workload, its Git server and a cache of the Applications.
type environment struct {
	cfg     config
	rest    *rest.Config
	kube    kubernetes.Interface
	dynamic dynamic.Interface
	capstan clientset.Interface
	apps    []app
	git     *gitServer
	// generations is each app's current target ConfigMap generation.
	generations []int

	appInformer cache.SharedIndexInformer
	stopInform  context.CancelFunc
	observersMu sync.Mutex
	observers   map[int]func(*v1alpha1.Application, time.Time)
	nextID      int

	// The cold syncs with one replica and with cfg.replicas (HA runs).
	singleReplica, coldSync *coldSyncRun
}

func newEnvironment(ctx context.Context, cfg config) (*environment, error) {
	restConfig, err := clientcmd.BuildConfigFromFlags("", cfg.kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", cfg.kubeconfig, err)
	}
	// A tuned client: no client-side rate limit gets between it and the server.
	restConfig.QPS, restConfig.Burst = -1, 0
	restConfig.UserAgent = "capstan-bench"
	env := &environment{cfg: cfg, rest: restConfig, apps: workloadApps(cfg.apps), observers: map[int]func(*v1alpha1.Application, time.Time){}}
	if env.kube, err = kubernetes.NewForConfig(restConfig); err != nil {
		return nil, err
	}
	if env.dynamic, err = dynamic.NewForConfig(restConfig); err != nil {
		return nil, err
	}
	if env.capstan, err = clientset.NewForConfig(restConfig); err != nil {
		return nil, err
	}
	env.generations = make([]int, len(env.apps))
	if cfg.listOnly {
		// Nothing syncs: the Applications name listRepoURL, which no one serves.
		if err := env.startAppInformer(ctx); err != nil {
			return nil, err
		}
		return env, nil
	}
	files := map[string]string{}
	for _, a := range env.apps {
		appFiles, err := a.files(cfg.objects, 0)
		if err != nil {
			return nil, err
		}
		for name, content := range appFiles {
			files[name] = content
		}
	}
	started := time.Now()
	if env.git, err = newGitServer(ctx, filepath.Join(cfg.outDir, "git"), files); err != nil {
		return nil, err
	}
	logf("workload: %d apps × %d objects in %d files, served at %s (%s)", cfg.apps, cfg.objects, len(files),
		env.git.URL, time.Since(started).Round(time.Millisecond))
	if err := env.startAppInformer(ctx); err != nil {
		env.close()
		return nil, err
	}
	return env, nil
}

func (e *environment) close() {
	if e.stopInform != nil {
		e.stopInform()
	}
	if e.git != nil {
		e.git.close()
	}
}

// startAppInformer watches the Applications of the bench, so that scenarios
// see each status change when it happens, without polling the API.
func (e *environment) startAppInformer(ctx context.Context) error {
	ctx, e.stopInform = context.WithCancel(ctx)
	factory := informers.NewSharedInformerFactoryWithOptions(e.capstan, 0, informers.WithNamespace(appNamespace))
	e.appInformer = factory.Capstan().V1alpha1().Applications().Informer()
	notify := func(obj any) {
		app, ok := obj.(*v1alpha1.Application)
		if !ok {
			return
		}
		now := time.Now()
		e.observersMu.Lock()
		defer e.observersMu.Unlock()
		for _, observe := range e.observers {
			observe(app, now)
		}
	}
	if _, err := e.appInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    notify,
		UpdateFunc: func(_, obj any) { notify(obj) },
	}); err != nil {
		return err
	}
	go e.appInformer.Run(ctx.Done())
	// The capstan API may take a moment after the plane is up: wait for the sync.
	syncCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if !cache.WaitForCacheSync(syncCtx.Done(), e.appInformer.HasSynced) {
		return fmt.Errorf("the Application informer did not sync: is capstan-apiserver serving?")
	}
	return nil
}

// observe calls fn with every Application add or update (and its arrival
// time) until the returned function is called.
func (e *environment) observe(fn func(*v1alpha1.Application, time.Time)) (stop func()) {
	e.observersMu.Lock()
	defer e.observersMu.Unlock()
	id := e.nextID
	e.nextID++
	e.observers[id] = fn
	return func() {
		e.observersMu.Lock()
		defer e.observersMu.Unlock()
		delete(e.observers, id)
	}
}

// appStates counts the cached Applications that are Synced and Healthy.
func (e *environment) appStates() (synced, healthy, both int) {
	for _, obj := range e.appInformer.GetStore().List() {
		app := obj.(*v1alpha1.Application)
		s := app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced
		h := app.Status.Health.Status == v1alpha1.HealthStatusHealthy
		if s {
			synced++
		}
		if h {
			healthy++
		}
		if s && h {
			both++
		}
	}
	return synced, healthy, both
}

// waitUntil checks cond every interval until it holds, ctx ends or limit passes.
func waitUntil(ctx context.Context, limit, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
}

// apply server-side applies obj into namespace as the bench's field manager.
func (e *environment) apply(ctx context.Context, namespace string, obj *unstructured.Unstructured) error {
	gvr, ok := gvrs[obj.GetKind()]
	if !ok {
		return fmt.Errorf("no resource known for kind %s", obj.GetKind())
	}
	data, err := obj.MarshalJSON()
	if err != nil {
		return err
	}
	force := true
	_, err = e.dynamic.Resource(gvr).Namespace(namespace).Patch(ctx, obj.GetName(), types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: floorFieldManager, Force: &force})
	if err != nil {
		return fmt.Errorf("apply %s %s/%s: %w", obj.GetKind(), namespace, obj.GetName(), err)
	}
	return nil
}

// applyNamespace server-side applies a namespace.
func (e *environment) applyNamespace(ctx context.Context, name string) error {
	data := []byte(fmt.Sprintf(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":%q}}`, name))
	force := true
	_, err := e.kube.CoreV1().Namespaces().Patch(ctx, name, types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: floorFieldManager, Force: &force})
	return err
}

// parallel runs fn for 0..n-1 on workers goroutines and returns the first error.
func parallel(n, workers int, fn func(i int) error) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan int)
	)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return firstErr
}

// capstanPID is capstan-apiserver's PID, as hack/local-up.sh recorded it.
func (e *environment) capstanPID() (int, error) {
	return e.pid("capstan-apiserver")
}

// pid is the PID hack/local-up.sh recorded for a component of the plane.
func (e *environment) pid(component string) (int, error) {
	data, err := os.ReadFile(filepath.Join(e.cfg.localDir, "pids", component+".pid"))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}

// repoURL is the URL of the workload's repository.
func (e *environment) repoURL() string {
	if e.git == nil {
		return listRepoURL
	}
	return e.git.URL
}
