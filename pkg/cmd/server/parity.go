package server

import (
	"github.com/spf13/pflag"
)

// ParityOptions configure how Capstan treats what repositories written for
// Argo CD contain: health of child Applications, and (in later options)
// Lua customizations, config management plugins and argoproj.io manifests.
type ParityOptions struct {
	// AssessApplicationHealth gives child Applications of an app of apps
	// their own health, as the argocd-cm rule users add to Argo CD does.
	AssessApplicationHealth bool
}

// NewParityOptions returns the defaults: child Applications have no
// health, as in Argo CD since 1.8.
func NewParityOptions() *ParityOptions {
	return &ParityOptions{}
}

// AddFlags registers the flags.
func (o *ParityOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.AssessApplicationHealth, "assess-application-health", o.AssessApplicationHealth,
		"Give child Applications (capstan.dev and argoproj.io) their own status.health as health, as the argocd-cm Lua rule "+
			"app-of-apps users add to Argo CD: sync waves then wait for children to be Healthy. Off by default, as in Argo CD since 1.8.")
}

// Validate checks the options.
func (o *ParityOptions) Validate() []error {
	return nil
}
