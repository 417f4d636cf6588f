package server

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/pflag"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/generators"
	"capstan.dev/capstan/pkg/controller/applicationset"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
	applicationsetregistry "capstan.dev/capstan/pkg/registry/capstan/applicationset"
)

// ApplicationSetOptions configure the ApplicationSet controller, with Argo
// CD's ApplicationSet controller flags.
type ApplicationSetOptions struct {
	// Policy is the applicationsSync policy of every ApplicationSet; empty
	// means sync, and lets each ApplicationSet choose its own.
	Policy string
	// AllowPolicyOverride lets ApplicationSets choose their own policy even
	// when Policy is set.
	AllowPolicyOverride bool
	// ProgressiveSyncs enables the RollingSync strategy.
	ProgressiveSyncs bool
	// AllowedSCMProviders are the only API URLs SCM Provider and Pull
	// Request generators may reach; empty allows any.
	AllowedSCMProviders []string
	// Processors is the number of ApplicationSets reconciled in parallel.
	Processors int
}

// NewApplicationSetOptions returns the defaults.
func NewApplicationSetOptions() *ApplicationSetOptions {
	return &ApplicationSetOptions{Processors: 10}
}

var applicationSetPolicies = []string{"", "create-only", "create-update", "create-delete", "sync"}

// AddFlags registers the ApplicationSet controller flags.
func (o *ApplicationSetOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Policy, "applicationset-policy", o.Policy,
		"applicationsSync policy of every ApplicationSet: create-only, create-update, create-delete or sync. "+
			"Empty means sync, and lets each ApplicationSet set spec.syncPolicy.applicationsSync.")
	fs.BoolVar(&o.AllowPolicyOverride, "applicationset-enable-policy-override", o.AllowPolicyOverride,
		"Let ApplicationSets set their own spec.syncPolicy.applicationsSync although --applicationset-policy is set.")
	fs.BoolVar(&o.ProgressiveSyncs, "enable-progressive-syncs", o.ProgressiveSyncs,
		"Enable the RollingSync strategy of ApplicationSets (progressive syncs).")
	fs.StringSliceVar(&o.AllowedSCMProviders, "allowed-scm-providers", o.AllowedSCMProviders,
		"API URLs that SCM Provider and Pull Request generators may reach (for example https://git.example.com/); empty allows any.")
	fs.IntVar(&o.Processors, "applicationset-processors", o.Processors,
		"Number of ApplicationSets reconciled in parallel.")
}

// Validate checks the ApplicationSet controller options.
func (o *ApplicationSetOptions) Validate() []error {
	var errs []error
	if !slices.Contains(applicationSetPolicies, o.Policy) {
		errs = append(errs, fmt.Errorf("--applicationset-policy: %q is not one of create-only, create-update, create-delete, sync", o.Policy))
	}
	if o.Processors < 1 {
		errs = append(errs, fmt.Errorf("--applicationset-processors: must be at least 1, not %d", o.Processors))
	}
	return errs
}

// newGenerators returns the ApplicationSet generators of the engine, which
// the controller and the preview subresource share: the engine's cluster
// Secrets and Git object store, and the destination cluster for Secrets,
// ConfigMaps and duck-typed resources.
func (o *Options) newGenerators(e *engine, destination *rest.Config) (*generators.Generators, generators.ClusterSource, error) {
	kube, err := kubernetes.NewForConfig(destination)
	if err != nil {
		return nil, nil, err
	}
	dynamicClient, err := dynamic.NewForConfig(destination)
	if err != nil {
		return nil, nil, err
	}
	clusters := generators.SecretClusters{Secrets: e.argoSecrets.Lister().Secrets(o.Controllers.RepoNamespace)}
	return generators.New(generators.Sources{
		Clusters:            clusters,
		Git:                 e.targets,
		Kube:                kube,
		Dynamic:             dynamicClient,
		RepositoryNamespace: o.Controllers.RepoNamespace,
		AllowedSCMProviders: o.ApplicationSets.AllowedSCMProviders,
	}), clusters, nil
}

// applicationSetPreview configures the preview subresource over the engine;
// without one (--standalone) previews answer 503.
func (o *Options) applicationSetPreview(e *engine) applicationsetregistry.PreviewConfig {
	config := applicationsetregistry.PreviewConfig{
		SyncPolicy:          v1alpha1.ApplicationsSyncPolicy(o.ApplicationSets.Policy),
		AllowPolicyOverride: o.ApplicationSets.AllowPolicyOverride,
	}
	if e != nil {
		config.Generators = e.generators
	}
	return config
}

// startApplicationSetController starts the ApplicationSet controller over
// the informers of factory, which the caller starts.
func (o *Options) startApplicationSetController(ctx context.Context, client clientset.Interface, factory informers.SharedInformerFactory,
	recorder record.EventRecorder, e *engine) error {
	c, err := applicationset.New(client, factory, applicationset.Options{
		Workers:             o.ApplicationSets.Processors,
		Generators:          e.generators,
		Clusters:            e.clusters,
		SyncPolicy:          v1alpha1.ApplicationsSyncPolicy(o.ApplicationSets.Policy),
		AllowPolicyOverride: o.ApplicationSets.AllowPolicyOverride,
		ProgressiveSyncs:    o.ApplicationSets.ProgressiveSyncs,
		Policy:              o.Tenancy.Policy(),
		Recorder:            recorder,
		ClusterSecrets:      e.argoSecrets.Informer(),
	})
	if err != nil {
		return fmt.Errorf("applicationset controller: %w", err)
	}
	go func() {
		if err := c.Run(ctx); err != nil {
			klog.FromContext(ctx).Error(err, "ApplicationSet controller stopped")
		}
	}()
	return nil
}
