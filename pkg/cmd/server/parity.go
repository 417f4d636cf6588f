package server

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"capstan.dev/capstan/pkg/luascript"
	"capstan.dev/capstan/pkg/settings"
)

// ParityOptions configure how Capstan treats what repositories written for
// Argo CD contain: health of child Applications, and (in later options)
// Lua customizations, config management plugins and argoproj.io manifests.
type ParityOptions struct {
	// AssessApplicationHealth gives child Applications of an app of apps
	// their own health, as the argocd-cm rule users add to Argo CD does.
	AssessApplicationHealth bool
	// LuaTimeout bounds one call of a Lua script of argocd-cm.
	LuaTimeout time.Duration
}

// NewParityOptions returns the defaults: child Applications have no
// health, as in Argo CD since 1.8.
func NewParityOptions() *ParityOptions {
	return &ParityOptions{LuaTimeout: luascript.DefaultLimits.Timeout}
}

// AddFlags registers the flags.
func (o *ParityOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.AssessApplicationHealth, "assess-application-health", o.AssessApplicationHealth,
		"Give child Applications (capstan.dev and argoproj.io) their own status.health as health, as the argocd-cm Lua rule "+
			"app-of-apps users add to Argo CD: sync waves then wait for children to be Healthy. Off by default, as in Argo CD since 1.8.")
	fs.DurationVar(&o.LuaTimeout, "lua-timeout", o.LuaTimeout,
		"Deadline of one call of a Lua health check or resource action from argocd-cm; a script past it makes the health Unknown "+
			"or the action fail, with the reason.")
}

// Validate checks the options.
func (o *ParityOptions) Validate() []error {
	var errs []error
	if o.LuaTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--lua-timeout must be positive, not %s", o.LuaTimeout))
	}
	return errs
}

// startSettings reads argocd-cm (--ignore-rules-configmap: Lua
// customizations and system-level ignore rules) and the CEL health rules
// (--health-rules-configmap), and keeps them current as they change.
func (o *Options) startSettings(ctx context.Context, destination *rest.Config) (*settings.Settings, error) {
	kube, err := kubernetes.NewForConfig(destination)
	if err != nil {
		return nil, err
	}
	limits := luascript.DefaultLimits
	limits.Timeout = o.Parity.LuaTimeout
	s := settings.New(settings.Options{
		Namespace:               o.Controllers.RepoNamespace,
		ArgoCDConfigMap:         o.Controllers.IgnoreRulesConfigMap,
		HealthRulesConfigMap:    o.Controllers.HealthRulesConfigMap,
		AssessApplicationHealth: o.Parity.AssessApplicationHealth,
		LuaLimits:               limits,
	})
	s.Start(ctx, kube)
	return s, nil
}
