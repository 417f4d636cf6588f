package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// driftRevertLimit is how long after the window a patch may take to be reverted.
const driftRevertLimit = time.Minute

// driftSample follows one patch: when it was sent, when a bare informer saw
// it (the floor) and when the informer saw it reverted by self-heal.
type driftSample struct {
	marker                     string
	patchedAt, seenAt, healdAt time.Time
}

// runDrift patches one managed ConfigMap per second (a different app each
// time, so that no app's self-heal back-off is involved) for cfg.drift, and
// times until each patch is reverted, against the time the same informer
// took to see the patch.
func runDrift(ctx context.Context, env *environment, r *report) error {
	var (
		mu      sync.Mutex
		samples = map[string]*driftSample{} // by namespace
	)
	factory := informers.NewSharedInformerFactoryWithOptions(env.kube, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = driftLabel + "=true" }))
	configMaps := factory.Core().V1().ConfigMaps().Informer()
	record := func(obj any) {
		cm, ok := obj.(*corev1.ConfigMap)
		if !ok {
			return
		}
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		s, ok := samples[cm.Namespace]
		if !ok {
			return
		}
		switch value := cm.Data["drift"]; {
		case value == s.marker && s.seenAt.IsZero():
			s.seenAt = now
		case value == "original" && !s.seenAt.IsZero() && s.healdAt.IsZero():
			s.healdAt = now
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

	defer env.profileDrift(ctx)()
	patches := int(env.cfg.drift / time.Second)
	step := max(1, len(env.apps)/max(1, patches))
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for i := range patches {
		a := env.apps[(i*step+i/len(env.apps))%len(env.apps)]
		marker := fmt.Sprintf("drifted-%d", i)
		patch := []byte(fmt.Sprintf(`{"data":{"drift":%q}}`, marker))
		mu.Lock()
		samples[a.Namespace()] = &driftSample{marker: marker, patchedAt: time.Now()}
		mu.Unlock()
		if _, err := env.kube.CoreV1().ConfigMaps(a.Namespace()).Patch(ctx, targetConfigMap, types.MergePatchType, patch,
			metav1.PatchOptions{FieldManager: "bench-drift"}); err != nil {
			return fmt.Errorf("patch %s/%s: %w", a.Namespace(), targetConfigMap, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
	waitUntil(ctx, driftRevertLimit, 100*time.Millisecond, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range samples {
			if s.healdAt.IsZero() {
				return false
			}
		}
		return true
	})

	mu.Lock()
	defer mu.Unlock()
	var reverted, seen []time.Duration
	for _, s := range samples {
		if !s.seenAt.IsZero() {
			seen = append(seen, s.seenAt.Sub(s.patchedAt))
		}
		if !s.healdAt.IsZero() {
			reverted = append(reverted, s.healdAt.Sub(s.patchedAt))
		}
	}
	reached := ""
	if len(reverted) < len(samples) {
		reached = fmt.Sprintf("%d/%d patches reverted within %s after the window", len(reverted), len(samples), driftRevertLimit)
	}
	r.addLatencies("drift", "patch reverted by self-heal", "bare informer sees the patch", seconds(reverted), seconds(seen), reached)
	return nil
}

// profileDrift starts a CPU profile of capstan-apiserver through the drift
// scenario when DRIFT_PROFILE is set; the returned function waits for it to
// be saved. Little else runs then: the profile shows what a self-heal costs.
func (e *environment) profileDrift(ctx context.Context) func() {
	if !e.cfg.driftProfile {
		return func() {}
	}
	metrics, err := newMetricsClient(e)
	if err != nil {
		logf("drift: no profile: %v", err)
		return func() {}
	}
	seconds := int(min(e.cfg.drift, 55*time.Second) / time.Second)
	path := filepath.Join(e.cfg.outDir, "drift-cpu.pb.gz")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := metrics.saveProfile(ctx, fmt.Sprintf("profile?seconds=%d", seconds), path); err != nil {
			logf("drift: no profile: %v", err)
			return
		}
		logf("drift: capstan-apiserver's CPU profile of %ds: %s (go tool pprof -top)", seconds, path)
	}()
	return func() { <-done }
}
