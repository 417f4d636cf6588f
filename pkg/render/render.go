// Package render turns an Application source at a commit into Kubernetes
// objects the way Argo CD's repo server does, in process: tool detection,
// plain directories (YAML, JSON, Jsonnet), Helm (helm.sh/helm/v3 in
// client-only template mode), Kustomize (krusty over an in-memory filesystem)
// and Jsonnet, with Argo CD's options, precedence and build environment
// variables. It reads the repository only through io/fs, never writes to
// disk, refuses paths that leave the repository, bounds output size and time,
// and caches results.
package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/lru"
)

// Defaults for Options fields left zero.
const (
	DefaultMaxManifestBytes = 10 << 20
	DefaultTimeout          = 90 * time.Second
	// DefaultCacheBytes bounds the render cache: the rendered objects of
	// thousands of small Applications, or of dozens of large charts, as JSON.
	DefaultCacheBytes = 64 << 20
)

// Request is one source to render.
type Request struct {
	// Source is the Application source (spec.source or one of spec.sources).
	Source v1alpha1.ApplicationSource
	// Repo is the tree of the source's repository at Revision, or the chart
	// directory for Helm repository sources (Source.Chart set). It is assumed
	// immutable for a given (Source.RepoURL, Revision): results are cached by them.
	Repo fs.FS
	// Revision is the resolved commit SHA, or the chart version for Helm
	// repository sources.
	Revision string
	// AppName is the Application's name: the default Helm release name and
	// ARGOCD_APP_NAME.
	AppName string
	// AppNamespace is the namespace of the Application object.
	AppNamespace string
	// DestinationNamespace is spec.destination.namespace: the default Helm
	// namespace and ARGOCD_APP_NAMESPACE.
	DestinationNamespace string
	// DestinationServer is spec.destination.server; it does not change output.
	DestinationServer string
	// KubeVersion is the destination cluster's version, the default for Helm's
	// --kube-version.
	KubeVersion string
	// APIVersions are the destination cluster's API versions, the default for
	// Helm's --api-versions.
	APIVersions []string
	// RefSources are the other sources of a multi-source Application by ref
	// name (with or without the leading "$"), for $ref/... value files.
	RefSources map[string]RefSource
	// Project is spec.project (ARGOCD_APP_PROJECT_NAME).
	Project string
	// MultipleSources is true when Source is one of spec.sources; a source
	// with only a ref then renders nothing.
	MultipleSources bool
	// Hard renders even when the same render failed recently (a hard
	// refresh); otherwise that failure is returned again until its back-off
	// ends.
	Hard bool
}

// RefSource is another source of a multi-source Application, referenced as
// $<ref>/path from Helm value files.
type RefSource struct {
	// RepoURL is the referenced source's repository.
	RepoURL string
	// Repo is its tree at Revision.
	Repo fs.FS
	// Revision is its resolved commit.
	Revision string
}

// Result is what a source renders to. A Result returned by Render belongs to
// the caller: it is a copy, so mutating it does not affect the cache.
type Result struct {
	// Objects are the rendered objects, lists expanded, in tool output order.
	Objects []*unstructured.Unstructured
	// SourceType is the tool that rendered them; empty for a ref-only source.
	SourceType v1alpha1.ApplicationSourceType
	// Cached is true when the result came from the render cache.
	Cached bool
}

// HelmDependencyFetcher provides chart dependencies that are neither in the
// chart's charts/ directory nor local file:// charts. repository is the
// dependency's repository as written in Chart.yaml (https://, oci://, @name or
// alias:name) and version the locked version, or the constraint when there is
// no Chart.lock. It returns the chart's directory.
type HelmDependencyFetcher interface {
	FetchChart(ctx context.Context, repository, name, version string) (fs.FS, error)
}

// Options configure a Renderer.
type Options struct {
	// MaxManifestBytes bounds the size of a render's output (and, for plain
	// directories, of the manifest files read); 0 means DefaultMaxManifestBytes.
	MaxManifestBytes int64
	// Timeout bounds one render; 0 means DefaultTimeout.
	Timeout time.Duration
	// AllowRemoteBases lets Kustomize load remote bases and files (git clones
	// and HTTP). Off, any remote reference is refused before Kustomize runs.
	AllowRemoteBases bool
	// DependencyFetcher provides Helm chart dependencies from Helm
	// repositories; nil means only charts/ and file:// dependencies work.
	DependencyFetcher HelmDependencyFetcher
	// CacheBytes bounds the results kept, by the size of their objects as
	// JSON; 0 means DefaultCacheBytes and a negative value disables the cache.
	CacheBytes int64
	// MaxConcurrentRenders bounds the renders running at once, abandoned ones
	// included; 0 or less means twice GOMAXPROCS.
	MaxConcurrentRenders int
	// Plugins run config management plugins; nil refuses plugin sources
	// with ErrPluginUnsupported.
	Plugins PluginRenderer
}

// Stats counts what a Renderer did, for tests and metrics.
type Stats struct {
	// ToolRuns is the number of renders that ran a tool (cache misses that did work).
	ToolRuns int64
	// CacheHits is the number of renders answered from the cache.
	CacheHits int64
	// InProgress is the number of render slots taken: running renders,
	// including those abandoned at their deadline that have not returned yet.
	InProgress int64
	// Abandoned is the number of renders given up at their deadline.
	Abandoned int64
	// FailuresRemembered is the number of renders answered from the memory
	// of failed renders.
	FailuresRemembered int64
}

// Renderer renders sources. It is safe for concurrent use; concurrent renders
// of the same cache key share one tool run.
type Renderer struct {
	opts     Options
	cache    *lru.Cache[*cachedResult]
	failures *failureMemory
	inflight singleflight.Group
	// slots holds one token per render running, abandoned ones included.
	slots     chan struct{}
	clock     clock.PassiveClock
	toolRuns  atomic.Int64
	hits      atomic.Int64
	abandoned atomic.Int64
	recalled  atomic.Int64
}

// NewRenderer returns a Renderer with opts, defaults filled in.
func NewRenderer(opts Options) *Renderer {
	if opts.MaxManifestBytes <= 0 {
		opts.MaxManifestBytes = DefaultMaxManifestBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	if opts.MaxConcurrentRenders <= 0 {
		opts.MaxConcurrentRenders = 2 * runtime.GOMAXPROCS(0)
	}
	return &Renderer{
		opts:     opts,
		cache:    lru.NewWithCost(opts.CacheBytes, cachedResultCost),
		failures: newFailureMemory(),
		slots:    make(chan struct{}, opts.MaxConcurrentRenders),
		clock:    clock.RealClock{},
	}
}

// Stats returns the counters so far.
func (r *Renderer) Stats() Stats {
	return Stats{
		ToolRuns:           r.toolRuns.Load(),
		CacheHits:          r.hits.Load(),
		InProgress:         int64(len(r.slots)),
		Abandoned:          r.abandoned.Load(),
		FailuresRemembered: r.recalled.Load(),
	}
}

// Render renders req. Errors are *Error values wrapping the sentinel reasons
// of this package where one applies.
//
// Helm, Kustomize and Jsonnet cannot be interrupted: on timeout Render returns
// ErrTimeout at once and abandons the tool, whose goroutine runs on until the
// tool returns; its result is then discarded. An abandoned render keeps its
// slot until then, so runaway renders never exceed MaxConcurrentRenders.
//
// A failed render (a timeout included) is remembered by its cache key: until
// its back-off ends, the same render returns the same error, marked
// ErrFailureRemembered, without running the tool, unless req.Hard is set.
func (r *Renderer) Render(ctx context.Context, req Request) (*Result, error) {
	if req.MultipleSources && req.Source.Ref != "" && req.Source.Path == "" && req.Source.Chart == "" {
		return &Result{}, nil
	}
	job, err := r.prepare(&req)
	if err != nil {
		return nil, job.error(err)
	}
	logger := klog.FromContext(ctx).WithValues("repo", req.Source.RepoURL, "path", job.displayName(), "revision", req.Revision, "tool", job.sourceType)

	if cached, ok := r.cache.Get(job.key); ok {
		out, err := cached.result()
		if err == nil {
			r.hits.Add(1)
			logger.V(4).Info("Render cache hit")
			out.Cached = true
			return out, nil
		}
		logger.V(2).Info("Render cache entry unreadable; rendering again", "err", err)
		r.cache.Remove(job.key)
	}
	if !req.Hard {
		if err := r.failures.recall(job.key, r.clock.Now()); err != nil {
			r.recalled.Add(1)
			logger.V(4).Info("Render failure remembered", "err", err)
			return nil, job.error(err)
		}
	}
	ch := r.inflight.DoChan(job.key, func() (any, error) {
		return r.run(context.WithoutCancel(ctx), job)
	})
	select {
	case <-ctx.Done():
		return nil, job.error(fmt.Errorf("stopped waiting for the render: %w", ctx.Err()))
	case res := <-ch:
		if res.Err != nil {
			logger.V(2).Info("Render failed", "err", res.Err)
			return nil, res.Err
		}
		return res.Val.(*Result).copy(), nil
	}
}

// run renders job in a render slot under the timeout, remembers a failure or
// caches the result, and returns it. It is shared by every concurrent caller
// of the same key.
func (r *Renderer) run(ctx context.Context, job *renderJob) (*Result, error) {
	started := time.Now()
	objs, err := r.inSlot(ctx, job)
	if err == nil {
		objs, err = expandLists(objs)
	}
	if err != nil {
		// Waiting for a slot says nothing about the source: it is not remembered.
		if !errors.Is(err, ErrTooManyRenders) {
			r.failures.remember(job.key, err, r.clock.Now())
		}
		return nil, job.error(err)
	}
	r.failures.forget(job.key)
	result := &Result{Objects: objs, SourceType: job.sourceType}
	if r.opts.CacheBytes >= 0 {
		cached, err := cacheResult(result)
		if err != nil {
			return nil, job.error(err)
		}
		r.cache.Add(job.key, cached)
	}
	klog.FromContext(ctx).V(2).Info("Rendered", "path", job.displayName(), "tool", job.sourceType, "objects", len(objs), "duration", time.Since(started))
	return result, nil
}

// inSlot waits up to the timeout for a render slot, then runs the job's tool
// in its own goroutine, which holds the slot until the tool returns, and
// gives up on it after the timeout.
func (r *Renderer) inSlot(ctx context.Context, job *renderJob) ([]*unstructured.Unstructured, error) {
	waitCtx, cancelWait := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancelWait()
	select {
	case r.slots <- struct{}{}:
	case <-waitCtx.Done():
		return nil, fmt.Errorf("%w: all %d render slots stayed taken for %s", ErrTooManyRenders, cap(r.slots), r.opts.Timeout)
	}
	r.toolRuns.Add(1)

	runCtx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	type outcome struct {
		objs []*unstructured.Unstructured
		err  error
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() { <-r.slots }()
		defer func() {
			if p := recover(); p != nil {
				done <- outcome{err: fmt.Errorf("%s panicked: %v", job.sourceType, p)}
			}
		}()
		objs, err := r.runTool(runCtx, job)
		done <- outcome{objs, err}
	}()
	timedOut := func() error {
		return fmt.Errorf("%w: rendering took longer than %s and was abandoned", ErrTimeout, r.opts.Timeout)
	}
	select {
	case <-runCtx.Done():
		r.abandoned.Add(1)
		return nil, timedOut()
	case out := <-done:
		if out.err != nil && runCtx.Err() != nil {
			// The tool noticed the deadline first.
			return nil, timedOut()
		}
		return out.objs, out.err
	}
}

// runTool dispatches to the tool.
func (r *Renderer) runTool(ctx context.Context, job *renderJob) ([]*unstructured.Unstructured, error) {
	switch job.sourceType {
	case v1alpha1.ApplicationSourceTypeHelm:
		return r.renderHelm(ctx, job)
	case v1alpha1.ApplicationSourceTypeKustomize:
		return r.renderKustomize(ctx, job)
	case v1alpha1.ApplicationSourceTypeDirectory:
		return r.renderDirectory(ctx, job)
	case v1alpha1.ApplicationSourceTypePlugin:
		if r.opts.Plugins != nil {
			return r.renderPlugin(ctx, job)
		}
	}
	return nil, fmt.Errorf("%w (source type %s)", ErrPluginUnsupported, job.sourceType)
}

// copy returns a deep copy of res, so that callers cannot change cached objects.
func (res *Result) copy() *Result {
	out := &Result{SourceType: res.SourceType, Objects: make([]*unstructured.Unstructured, len(res.Objects))}
	for i, obj := range res.Objects {
		out.Objects[i] = obj.DeepCopy()
	}
	return out
}
