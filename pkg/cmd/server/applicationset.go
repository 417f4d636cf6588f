package server

import (
	"fmt"
	"slices"

	"github.com/spf13/pflag"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/engine"
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

// applicationSetPreview configures the preview subresource over the engine;
// without one (--standalone) previews answer 503.
func (o *Options) applicationSetPreview(e *engine.Engine) applicationsetregistry.PreviewConfig {
	config := applicationsetregistry.PreviewConfig{
		SyncPolicy:          v1alpha1.ApplicationsSyncPolicy(o.ApplicationSets.Policy),
		AllowPolicyOverride: o.ApplicationSets.AllowPolicyOverride,
	}
	if e != nil {
		config.Generators = e.Generators
	}
	return config
}

// engineConfig translates the ApplicationSet flags into the engine's configuration.
func (o *ApplicationSetOptions) engineConfig() engine.ApplicationSetConfig {
	return engine.ApplicationSetConfig{
		Policy:              v1alpha1.ApplicationsSyncPolicy(o.Policy),
		AllowPolicyOverride: o.AllowPolicyOverride,
		ProgressiveSyncs:    o.ProgressiveSyncs,
		AllowedSCMProviders: o.AllowedSCMProviders,
		Processors:          o.Processors,
	}
}
