package server

import (
	"context"
	"fmt"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/actions"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/compare"
	"capstan.dev/capstan/pkg/controller/application"
	"capstan.dev/capstan/pkg/diff"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
)

// engine is the GitOps engine of one server: destination clusters, sources and
// renderers, and the comparer that the diff and manifests subresources and the
// controllers share.
type engine struct {
	comparer *compare.Comparer
	// controller is told about changes of managed objects once it runs.
	controller atomic.Pointer[application.Controller]
}

// newEngine connects to the cluster this server runs in, which holds the
// repository and cluster Secrets and is the in-cluster destination.
func (o *Options) newEngine(ctx context.Context, destination *rest.Config) (*engine, error) {
	e := &engine{}
	secrets, err := o.newArgoSecrets(ctx, destination)
	if err != nil {
		return nil, err
	}
	clusters, err := cluster.NewClusters(ctx, destination, secrets, func(instanceLabel string) {
		if c := e.controller.Load(); c != nil {
			c.ManagedObjectChanged(instanceLabel)
		}
	})
	if err != nil {
		return nil, err
	}
	settings, err := o.startSettings(ctx, destination)
	if err != nil {
		return nil, err
	}
	if o.plugins, err = o.startPlugins(ctx); err != nil {
		return nil, err
	}
	targets, err := o.newTargetSource(secrets, o.readKnownHosts(ctx, destination))
	if err != nil {
		return nil, err
	}
	e.comparer = &compare.Comparer{Clusters: clusters, Targets: targets, Differ: diff.NewDiffer(100_000), Health: settings, SystemRulesFrom: settings.SystemRules, Actions: actions.Runner{Customizations: settings.Customizations},
		Policy: o.Tenancy.Policy(), Impersonation: o.Tenancy.SyncImpersonation}
	return e, nil
}

// startControllers starts the Application controllers over the engine,
// leader-elected when asked. loopback reaches this server's own API.
func (o *Options) startControllers(ctx context.Context, loopback, destination *rest.Config, e *engine) error {
	logger := klog.FromContext(ctx)
	if !o.Controllers.Enabled {
		logger.Info("Controllers are disabled (--controllers=false)")
		return nil
	}
	if e == nil {
		logger.Info("Controllers are disabled: no Kubernetes API server to deploy to (--standalone)")
		return nil
	}
	return o.Controllers.runElected(ctx, destination, func(ctx context.Context) {
		if err := o.runControllers(ctx, loopback, destination, e); err != nil {
			logger.Error(err, "Controllers stopped")
		}
	})
}

func (o *Options) runControllers(ctx context.Context, loopback, destination *rest.Config, e *engine) error {
	client, err := clientset.NewForConfig(loopback)
	if err != nil {
		return err
	}
	recorder, err := newEventRecorder(ctx, destination)
	if err != nil {
		return fmt.Errorf("event recorder: %w", err)
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	apps := factory.Capstan().V1alpha1().Applications()
	c, err := application.New(client, apps.Informer(), apps.Lister(), e.comparer, application.Options{
		Workers:          o.Controllers.StatusProcessors,
		OperationWorkers: o.Controllers.OperationProcessors,
		SyncTimeout:      o.Controllers.SyncTimeout,
		Resync:           o.Controllers.AppResync,
		Recorder:         recorder,
		Projects:         factory.Capstan().V1alpha1().AppProjects().Informer(),
	})
	if err != nil {
		return fmt.Errorf("application controller: %w", err)
	}
	e.controller.Store(c)
	factory.Start(ctx.Done())
	return c.Run(ctx)
}

// newEventRecorder records Events on Applications in the destination cluster,
// the one this server runs in: Events are core/v1 objects that Capstan's own
// API does not serve. The broadcaster stops with ctx.
func newEventRecorder(ctx context.Context, destination *rest.Config) (record.EventRecorder, error) {
	kube, err := kubernetes.NewForConfig(destination)
	if err != nil {
		return nil, err
	}
	// The scheme gives the Events' involvedObject the Application's apiVersion and kind.
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
	return broadcaster.NewRecorder(scheme, corev1.EventSource{Component: eventComponent}), nil
}

// eventComponent is the source of the Events the controllers record.
const eventComponent = "capstan-application-controller"
