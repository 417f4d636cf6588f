package server

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"capstan.dev/capstan/pkg/cmp"
	"capstan.dev/capstan/pkg/engine"
	"capstan.dev/capstan/pkg/luascript"
)

// ParityOptions configure how Capstan treats what repositories written for
// Argo CD contain: health of child Applications, Lua customizations,
// config management plugins and argoproj.io manifests.
type ParityOptions struct {
	// AssessApplicationHealth gives child Applications of an app of apps
	// their own health, as the argocd-cm rule users add to Argo CD does.
	AssessApplicationHealth bool
	// LuaTimeout bounds one call of a Lua script of argocd-cm.
	LuaTimeout time.Duration
	// PluginSocketsDir holds the Unix sockets of plugin sidecars.
	PluginSocketsDir string
	// PluginConfigsDir holds ConfigManagementPlugin files whose runners the
	// server starts as subprocesses (make run, tests).
	PluginConfigsDir string
	// PluginRunner is the capstan-cmp-server binary those subprocesses run.
	PluginRunner string
	// PluginTimeout, PluginMaxConcurrent bound each subprocess runner.
	PluginTimeout       time.Duration
	PluginMaxConcurrent int
	// TranslateArgoprojManifests applies rendered argoproj.io Applications,
	// ApplicationSets and AppProjects as their capstan.dev equivalents.
	TranslateArgoprojManifests bool
}

// NewParityOptions returns the defaults: child Applications have no
// health, as in Argo CD since 1.8; argoproj.io manifests are translated.
func NewParityOptions() *ParityOptions {
	return &ParityOptions{
		LuaTimeout:          luascript.DefaultLimits.Timeout,
		PluginTimeout:       cmp.DefaultRunnerOptions.Timeout,
		PluginMaxConcurrent: cmp.DefaultRunnerOptions.MaxConcurrent,
		// Argo CD's app-of-apps repositories work unchanged.
		TranslateArgoprojManifests: true,
	}
}

// AddFlags registers the flags.
func (o *ParityOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.AssessApplicationHealth, "assess-application-health", o.AssessApplicationHealth,
		"Give child Applications (capstan.dev and argoproj.io) their own status.health as health, as the argocd-cm Lua rule "+
			"app-of-apps users add to Argo CD: sync waves then wait for children to be Healthy. Off by default, as in Argo CD since 1.8.")
	fs.DurationVar(&o.LuaTimeout, "lua-timeout", o.LuaTimeout,
		"Deadline of one call of a Lua health check or resource action from argocd-cm; a script past it makes the health Unknown "+
			"or the action fail, with the reason.")
	fs.BoolVar(&o.TranslateArgoprojManifests, "translate-argoproj-manifests", o.TranslateArgoprojManifests,
		"Apply rendered argoproj.io/v1alpha1 Applications, ApplicationSets and AppProjects as their capstan.dev equivalents, "+
			"so that Argo CD's app-of-apps repositories work unchanged (the parent's project must permit writing them).")
	fs.StringVar(&o.PluginSocketsDir, "plugin-sockets-dir", o.PluginSocketsDir,
		"Directory of the Unix sockets of config management plugin sidecars (capstan-cmp-server), e.g. /var/run/capstan/plugins; "+
			"sources with plugin: are rendered by them. Empty: no sidecars.")
	fs.StringVar(&o.PluginConfigsDir, "plugin-configs-dir", o.PluginConfigsDir,
		"Directory of ConfigManagementPlugin files (*.yaml) whose runners this server starts as subprocesses (for make run and tests; "+
			"in a cluster use sidecars).")
	fs.StringVar(&o.PluginRunner, "plugin-runner", o.PluginRunner,
		"The capstan-cmp-server binary of --plugin-configs-dir (default: next to this binary).")
	fs.DurationVar(&o.PluginTimeout, "plugin-timeout", o.PluginTimeout,
		"Deadline of one plugin render (init and generate) in runners of --plugin-configs-dir; --render-timeout bounds every render too.")
	fs.IntVar(&o.PluginMaxConcurrent, "plugin-max-concurrent", o.PluginMaxConcurrent,
		"Renders one runner of --plugin-configs-dir runs at once.")
}

// Validate checks the options.
func (o *ParityOptions) Validate() []error {
	var errs []error
	if o.PluginTimeout <= 0 || o.PluginMaxConcurrent <= 0 {
		errs = append(errs, fmt.Errorf("--plugin-timeout and --plugin-max-concurrent must be positive"))
	}
	if o.LuaTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--lua-timeout must be positive, not %s", o.LuaTimeout))
	}
	return errs
}

// engineConfig translates the flags into the engine's configuration.
func (o *ParityOptions) engineConfig() engine.ParityConfig {
	return engine.ParityConfig{
		AssessApplicationHealth:    o.AssessApplicationHealth,
		LuaTimeout:                 o.LuaTimeout,
		TranslateArgoprojManifests: o.TranslateArgoprojManifests,
		Plugins: engine.PluginConfig{
			SocketsDir:    o.PluginSocketsDir,
			ConfigsDir:    o.PluginConfigsDir,
			Runner:        o.PluginRunner,
			Timeout:       o.PluginTimeout,
			MaxConcurrent: o.PluginMaxConcurrent,
		},
	}
}
