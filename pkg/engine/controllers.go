package engine

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/controller/application"
	"capstan.dev/capstan/pkg/controller/applicationset"
	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
	"capstan.dev/capstan/pkg/memory"
)

// The sources of the Events the controllers record.
const (
	applicationComponent    = "capstan-application-controller"
	applicationSetComponent = "capstan-applicationset-controller"
)

// RunControllers runs the in-process controllers until ctx ends. loopback
// reaches this server's own API (Applications, AppProjects).
func (e *Engine) RunControllers(ctx context.Context, loopback *rest.Config) error {
	client, err := newClientset(loopback)
	if err != nil {
		return err
	}
	shard, err := e.startSharding(ctx, client)
	if err != nil {
		return fmt.Errorf("sharding: %w", err)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTransform(withoutManagedFields))
	apps := factory.Capstan().V1alpha1().Applications()
	controllers := e.config.Controllers
	options := application.Options{
		Workers:          controllers.StatusProcessors,
		OperationWorkers: controllers.OperationProcessors,
		SyncTimeout:      controllers.SyncTimeout,
		Resync:           controllers.AppResync,
		Recorder:         e.eventRecorder(ctx, applicationComponent),
		Projects:         factory.Capstan().V1alpha1().AppProjects().Informer(),
	}
	// What a busy period (a cold sync) left in the heap goes back to the
	// system once the controllers have nothing to do.
	releaser := e.config.Releaser
	if releaser == nil {
		releaser = memory.NewReleaser(klog.FromContext(ctx))
	}
	defer releaser.Stop()
	releaser.OnQuiet(e.Clusters.Trim)
	if e.Git != nil {
		releaser.OnQuiet(e.Git.Trim)
	}
	options.Worked = releaser.Worked
	if shard != nil {
		options.Shard = shard
	}
	c, err := application.New(client, apps.Informer(), apps.Lister(), e.Comparer, options)
	if err != nil {
		return fmt.Errorf("application controller: %w", err)
	}
	e.Clusters.AddEventHandler(c.ManagedObjectChanged)
	appSetOptions := applicationset.Options{
		Workers:             e.config.ApplicationSets.Processors,
		Generators:          e.Generators,
		Clusters:            e.appSetClusters,
		SyncPolicy:          e.config.ApplicationSets.Policy,
		AllowPolicyOverride: e.config.ApplicationSets.AllowPolicyOverride,
		ProgressiveSyncs:    e.config.ApplicationSets.ProgressiveSyncs,
		Policy:              e.config.Policy,
		Recorder:            e.eventRecorder(ctx, applicationSetComponent),
		ClusterSecrets:      e.secretInformer,
	}
	if shard != nil {
		appSetOptions.Owns = shard.Owns
	}
	appSets, err := applicationset.New(client, factory, appSetOptions)
	if err != nil {
		return fmt.Errorf("applicationset controller: %w", err)
	}
	if shard != nil {
		followShard(ctx, shard, apps.Informer(), c.OwnershipChanged, appSets.OwnershipChanged)
	}
	factory.Start(ctx.Done())
	go func() {
		if err := appSets.Run(ctx); err != nil {
			klog.FromContext(ctx).Error(err, "ApplicationSet controller stopped")
		}
	}()
	return c.Run(ctx)
}
