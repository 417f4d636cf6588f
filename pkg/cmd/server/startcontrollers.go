package server

import (
	"context"
	"fmt"
	"sync/atomic"

	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/controller/application"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
	"capstan.dev/capstan/pkg/health"
)

// startControllers starts the Application controllers, leader-elected when
// asked. loopback reaches this server's own API; destination is the cluster
// this server runs in (its --kubeconfig), nil in standalone mode.
func (o *Options) startControllers(ctx context.Context, loopback, destination *rest.Config) error {
	logger := klog.FromContext(ctx)
	if !o.Controllers.Enabled {
		logger.Info("Controllers are disabled (--controllers=false)")
		return nil
	}
	if destination == nil {
		logger.Info("Controllers are disabled: no Kubernetes API server to deploy to (--standalone)")
		return nil
	}
	return o.Controllers.runElected(ctx, destination, func(ctx context.Context) {
		if err := o.runControllers(ctx, loopback, destination); err != nil {
			logger.Error(err, "Controllers stopped")
		}
	})
}

func (o *Options) runControllers(ctx context.Context, loopback, destination *rest.Config) error {
	client, err := clientset.NewForConfig(loopback)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	apps := factory.Capstan().V1alpha1().Applications()

	// The destination caches report changes of managed objects to the
	// controller, which is built after them.
	var controller atomic.Pointer[application.Controller]
	clusters, err := cluster.NewClusters(ctx, destination, func(instanceLabel string) {
		if c := controller.Load(); c != nil {
			c.ManagedObjectChanged(instanceLabel)
		}
	})
	if err != nil {
		return err
	}
	checker, err := health.NewChecker(health.Options{})
	if err != nil {
		return err
	}
	targets, err := o.newTargetSource(ctx, destination)
	if err != nil {
		return err
	}
	c, err := application.New(client, apps.Informer(), apps.Lister(), clusters, targets, checker, application.Options{
		Workers: o.Controllers.StatusProcessors,
		Resync:  o.Controllers.AppResync,
	})
	if err != nil {
		return fmt.Errorf("application controller: %w", err)
	}
	controller.Store(c)
	factory.Start(ctx.Done())
	return c.Run(ctx)
}
