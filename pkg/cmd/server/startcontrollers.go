package server

import (
	"context"

	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/engine"
)

// engineConfig translates the flags into the engine's configuration;
// destination reaches the cluster Capstan runs in.
func (o *Options) engineConfig(destination *rest.Config) engine.Config {
	c := o.Controllers
	return engine.Config{
		Destination:   destination,
		RepoNamespace: c.RepoNamespace,
		Sources: engine.SourceConfig{
			CacheDir:                  c.CacheDir,
			RefTTL:                    c.AppResync,
			AllowFileRepoURLs:         c.AllowFileRepoURLs,
			MaxManifestBytes:          c.MaxManifestBytes,
			RenderTimeout:             c.RenderTimeout,
			MaxConcurrentRenders:      c.MaxConcurrentRenders,
			RenderCacheBytes:          c.RenderCacheBytes,
			AllowKustomizeRemoteBases: c.AllowKustomizeRemoteBases,
		},
		HealthRulesConfigMap: c.HealthRulesConfigMap,
		IgnoreRulesConfigMap: c.IgnoreRulesConfigMap,
		Policy:               o.Tenancy.Policy(),
		Impersonation:        o.Tenancy.SyncImpersonation,
		Controllers: engine.ControllerConfig{
			StatusProcessors:    c.StatusProcessors,
			OperationProcessors: c.OperationProcessors,
			SyncTimeout:         c.SyncTimeout,
			AppResync:           c.AppResync,
		},
		ApplicationSets: o.ApplicationSets.engineConfig(),
		Parity:          o.Parity.engineConfig(),
		Sharding:        o.Sharding.config(),
		Releaser:        o.releaser,
	}
}

// startControllers runs the engine's controllers, leader-elected when asked.
// loopback reaches this server's own API.
func (o *Options) startControllers(ctx context.Context, loopback *rest.Config, e *engine.Engine) error {
	logger := klog.FromContext(ctx)
	if !o.Controllers.Enabled {
		logger.Info("Controllers are disabled (--controllers=false)")
		return nil
	}
	if e == nil {
		logger.Info("Controllers are disabled: no Kubernetes API server to deploy to (--standalone)")
		return nil
	}
	return o.Controllers.runElected(ctx, e.Kube, func(ctx context.Context) {
		if err := e.RunControllers(ctx, loopback); err != nil {
			logger.Error(err, "Controllers stopped")
		}
	})
}
