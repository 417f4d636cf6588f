package server

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/render"
)

// ControllerOptions configure the controllers that run inside capstan-apiserver.
type ControllerOptions struct {
	// Enabled starts the controllers in a post-start hook.
	Enabled bool
	// LeaderElect runs them only in the replica holding the Lease.
	LeaderElect bool
	// LeaderElectNamespace holds the Lease.
	LeaderElectNamespace string
	// StatusProcessors is the number of parallel refreshes (compare).
	StatusProcessors int
	// OperationProcessors is the number of parallel operations (sync).
	OperationProcessors int
	// SyncTimeout terminates sync operations running longer; zero means none.
	SyncTimeout time.Duration
	// AppResync is the period of the periodic refresh, jittered by up to half.
	AppResync time.Duration
	// CacheDir holds the Git object stores and Helm chart archives.
	CacheDir string
	// RepoNamespace holds the repository and cluster Secrets.
	RepoNamespace string
	// MaxManifestBytes bounds the rendered manifests of one source.
	MaxManifestBytes int64
	// RenderTimeout bounds one render.
	RenderTimeout time.Duration
	// MaxConcurrentRenders bounds the renders running at once, including
	// those abandoned at RenderTimeout that have not returned yet.
	MaxConcurrentRenders int
	// RenderCacheBytes bounds the render cache by the JSON size of the
	// rendered objects it keeps.
	RenderCacheBytes int64
	// AllowKustomizeRemoteBases lets Kustomize load remote bases.
	AllowKustomizeRemoteBases bool
	// AllowFileRepoURLs accepts file:// repository URLs (local development only).
	AllowFileRepoURLs bool
	// HealthRulesConfigMap names the ConfigMap in RepoNamespace that holds
	// custom health rules written in CEL; empty loads none.
	HealthRulesConfigMap string
	// IgnoreRulesConfigMap names the ConfigMap in RepoNamespace that holds
	// Argo CD's system-level comparison settings; empty reads none.
	IgnoreRulesConfigMap string
}

// NewControllerOptions returns the defaults.
func NewControllerOptions() *ControllerOptions {
	return &ControllerOptions{
		Enabled:              true,
		LeaderElectNamespace: "capstan-system",
		StatusProcessors:     20,
		OperationProcessors:  10,
		AppResync:            180 * time.Second,
		CacheDir:             "_output/cache",
		RepoNamespace:        "capstan-system",
		MaxManifestBytes:     10 << 20,
		RenderTimeout:        90 * time.Second,
		MaxConcurrentRenders: 2 * runtime.GOMAXPROCS(0),
		RenderCacheBytes:     render.DefaultCacheBytes,
		HealthRulesConfigMap: "capstan-health-rules",
		IgnoreRulesConfigMap: "argocd-cm",
	}
}

// AddFlags registers the controller flags.
func (o *ControllerOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Enabled, "controllers", o.Enabled,
		"Run the Application controllers in this process. They need a Kubernetes API server (not --standalone).")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect,
		"Run the controllers only in the replica that holds the capstan-controllers Lease.")
	fs.StringVar(&o.LeaderElectNamespace, "leader-elect-namespace", o.LeaderElectNamespace,
		"Namespace of the leader election Lease.")
	fs.IntVar(&o.StatusProcessors, "status-processors", o.StatusProcessors,
		"Number of Applications compared in parallel.")
	fs.IntVar(&o.OperationProcessors, "operation-processors", o.OperationProcessors,
		"Number of sync operations run in parallel.")
	fs.DurationVar(&o.SyncTimeout, "sync-timeout", o.SyncTimeout,
		"Terminate sync operations that run longer than this (their running hooks are deleted, the operation fails). 0 means no limit.")
	fs.DurationVar(&o.AppResync, "app-resync", o.AppResync,
		"Period of the periodic refresh of every Application, plus up to half of it as jitter. 0 disables it.")
	fs.StringVar(&o.CacheDir, "cache-dir", o.CacheDir,
		"Directory of the Git object stores and Helm chart archives.")
	fs.StringVar(&o.RepoNamespace, "repository-namespace", o.RepoNamespace,
		"Namespace of the repository and cluster Secrets (label argocd.argoproj.io/secret-type: repository, repo-creds or cluster).")
	fs.Int64Var(&o.MaxManifestBytes, "max-manifest-bytes", o.MaxManifestBytes,
		"Largest rendered output of one source; larger renders fail with an error.")
	fs.DurationVar(&o.RenderTimeout, "render-timeout", o.RenderTimeout,
		"Longest time one render (Helm, Kustomize, Jsonnet, directory) may take. A render past it fails and is abandoned: "+
			"it keeps its render slot until the tool returns, and its failure, like every render failure, is returned again "+
			"without rendering for a back-off of 10s doubling to 10m, unless a refresh is requested.")
	fs.IntVar(&o.MaxConcurrentRenders, "max-concurrent-renders", o.MaxConcurrentRenders,
		"Most renders running at once, abandoned ones included (default twice GOMAXPROCS). "+
			"A render that finds no free slot within --render-timeout fails with \"too many renders in progress\".")
	fs.Int64Var(&o.RenderCacheBytes, "render-cache-bytes", o.RenderCacheBytes,
		"Size of the render cache: rendered manifests are kept as JSON, keyed by repository, commit, path and every parameter "+
			"that changes the output, least recently used evicted first. A negative value disables it.")
	fs.BoolVar(&o.AllowKustomizeRemoteBases, "allow-kustomize-remote-bases", o.AllowKustomizeRemoteBases,
		"Let Kustomize load remote bases (Git and HTTP). Off, they are refused.")
	fs.BoolVar(&o.AllowFileRepoURLs, "allow-file-repo-urls", o.AllowFileRepoURLs,
		"Accept file:// repository URLs. For local development only: they read the server's disk.")
	fs.StringVar(&o.HealthRulesConfigMap, "health-rules-configmap", o.HealthRulesConfigMap,
		"ConfigMap in --repository-namespace holding custom health rules: keys <group>_<Kind> (or <Kind> for the core group), "+
			"values CEL expressions. Watched: changes apply without a restart. A missing ConfigMap means no custom rules; empty disables them.")
	fs.StringVar(&o.IgnoreRulesConfigMap, "ignore-rules-configmap", o.IgnoreRulesConfigMap,
		"Argo CD's argocd-cm in --repository-namespace: system-level comparison settings (keys "+
			"resource.customizations.ignoreDifferences.<group>_<Kind> (or .<Kind>, or .all) and resource.compareoptions (ignoreAggregatedRoles), "+
			"used with every Application's ignoreDifferences) and Lua customizations (resource.customizations.health.<group>_<Kind>, "+
			"resource.customizations.actions.<group>_<Kind>, resource.customizations). Watched: changes apply without a restart. "+
			"A missing ConfigMap means no system rules; empty disables them.")
}

// Validate checks the controller options.
func (o *ControllerOptions) Validate() []error {
	var errs []error
	if o.StatusProcessors < 1 {
		errs = append(errs, fmt.Errorf("--status-processors: must be at least 1, not %d", o.StatusProcessors))
	}
	if o.OperationProcessors < 1 {
		errs = append(errs, fmt.Errorf("--operation-processors: must be at least 1, not %d", o.OperationProcessors))
	}
	if o.SyncTimeout < 0 {
		errs = append(errs, fmt.Errorf("--sync-timeout: must not be negative"))
	}
	if o.AppResync < 0 {
		errs = append(errs, fmt.Errorf("--app-resync: must not be negative"))
	}
	if o.MaxManifestBytes <= 0 {
		errs = append(errs, fmt.Errorf("--max-manifest-bytes: must be positive"))
	}
	if o.RenderTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--render-timeout: must be positive"))
	}
	if o.MaxConcurrentRenders < 1 {
		errs = append(errs, fmt.Errorf("--max-concurrent-renders: must be at least 1, not %d", o.MaxConcurrentRenders))
	}
	if o.Enabled && o.CacheDir == "" {
		errs = append(errs, fmt.Errorf("--cache-dir: must be set when the controllers run"))
	}
	return errs
}

// runElected runs run directly, or while this replica holds the Lease.
func (o *ControllerOptions) runElected(ctx context.Context, client kubernetes.Interface, run func(context.Context)) error {
	if !o.LeaderElect {
		go run(ctx)
		return nil
	}
	identity, err := os.Hostname()
	if err != nil {
		return err
	}
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, o.LeaderElectNamespace, "capstan-controllers",
		client.CoreV1(), client.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: identity})
	if err != nil {
		return err
	}
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   15 * time.Second,
		RenewDeadline:   10 * time.Second,
		RetryPeriod:     2 * time.Second,
		ReleaseOnCancel: true,
		Name:            "capstan-controllers",
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: run,
			OnStoppedLeading: func() {
				if ctx.Err() != nil {
					return // shutting down: the Lease was released
				}
				// The controllers stopped with the Lease and do not start
				// again in this process: exit, as kube-controller-manager
				// does, so that the restarted process competes for it anew
				// instead of serving without controllers forever.
				klog.FromContext(ctx).Error(nil, "Lost the capstan-controllers Lease; exiting so that a restart runs the controllers again")
				klog.FlushAndExit(klog.ExitFlushTimeout, 1)
			},
		},
	})
	if err != nil {
		return err
	}
	go elector.Run(ctx)
	return nil
}
