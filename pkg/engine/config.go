// Package engine assembles Capstan's GitOps engine from one configuration:
// one client of the cluster Capstan runs in, the Argo CD Secrets, the
// destination clusters and their caches, sources and renderers, the
// comparer the API's subresources share, and the controllers. Flags only
// translate into a Config; Complete builds everything from it, as
// metrics-server's Config.Complete does.
package engine

import (
	"time"

	"k8s.io/client-go/rest"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/memory"
	"capstan.dev/capstan/pkg/project"
)

// Config is everything the engine is built from.
type Config struct {
	// Destination reaches the Kubernetes API server of the cluster Capstan
	// runs in: the in-cluster destination, and where the repository and
	// cluster Secrets, settings ConfigMaps and Events live.
	Destination *rest.Config
	// RepoNamespace holds the repository and cluster Secrets and the settings
	// ConfigMaps.
	RepoNamespace string
	// Sources configure repositories and rendering.
	Sources SourceConfig
	// HealthRulesConfigMap and IgnoreRulesConfigMap name the ConfigMaps of
	// RepoNamespace with custom health rules and system-level ignore rules;
	// empty reads none.
	HealthRulesConfigMap string
	IgnoreRulesConfigMap string
	// Policy holds the project rules' server-wide settings.
	Policy project.Policy
	// Impersonation writes to destinations as the projects' ServiceAccounts.
	Impersonation bool
	// Controllers configure the controllers RunControllers starts.
	Controllers ControllerConfig
	// Sharding spreads the Applications over several replicas.
	Sharding ShardingConfig
	// ApplicationSets configure the ApplicationSet controller and generators.
	ApplicationSets ApplicationSetConfig
	// Parity configures what repositories written for Argo CD may use: Lua
	// customizations, the health of child Applications, config management
	// plugins.
	Parity ParityConfig
	// Releaser, when set, is the one the controllers tell of their work
	// (it returns memory and processors while they are quiet); otherwise
	// RunControllers makes its own.
	Releaser *memory.Releaser
}

// ParityConfig configures the Argo CD features repositories rely on.
type ParityConfig struct {
	// AssessApplicationHealth gives child Applications of an app of apps
	// their own health, as the argocd-cm rule users add to Argo CD does.
	AssessApplicationHealth bool
	// LuaTimeout bounds one call of a Lua script of argocd-cm; zero means
	// luascript.DefaultLimits.
	LuaTimeout time.Duration
	// Plugins configure config management plugins.
	Plugins PluginConfig
	// TranslateArgoprojManifests applies rendered argoproj.io/v1alpha1
	// Applications, ApplicationSets and AppProjects as capstan.dev ones.
	TranslateArgoprojManifests bool
}

// PluginConfig configures config management plugins. Without SocketsDir
// and ConfigsDir, plugin sources are refused.
type PluginConfig struct {
	// SocketsDir holds the Unix sockets of plugin sidecars.
	SocketsDir string
	// ConfigsDir holds ConfigManagementPlugin files whose runners the engine
	// starts as subprocesses of Runner (make run, tests).
	ConfigsDir string
	// Runner is the capstan-cmp-server binary; empty means the one next to
	// this executable.
	Runner string
	// Timeout and MaxConcurrent bound each subprocess runner.
	Timeout       time.Duration
	MaxConcurrent int
}

// ApplicationSetConfig configures the ApplicationSet controller, with Argo
// CD's ApplicationSet controller settings.
type ApplicationSetConfig struct {
	// Policy is the applicationsSync policy of every ApplicationSet; empty
	// means sync, and lets each ApplicationSet choose its own.
	Policy v1alpha1.ApplicationsSyncPolicy
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

// SourceConfig configures Git, Helm and the renderers.
type SourceConfig struct {
	// CacheDir holds the Git object stores and Helm chart archives.
	CacheDir string
	// RefTTL is how long listed Git refs and Helm indexes are reused.
	RefTTL time.Duration
	// AllowFileRepoURLs accepts file:// repository URLs.
	AllowFileRepoURLs bool
	// MaxManifestBytes, RenderTimeout and MaxConcurrentRenders bound renders.
	MaxManifestBytes     int64
	RenderTimeout        time.Duration
	MaxConcurrentRenders int
	// RenderCacheBytes bounds the render cache (0: render.DefaultCacheBytes).
	RenderCacheBytes int64
	// AllowKustomizeRemoteBases lets Kustomize load remote bases.
	AllowKustomizeRemoteBases bool
}

// ControllerConfig configures the in-process controllers.
type ControllerConfig struct {
	// StatusProcessors and OperationProcessors are the parallel comparisons
	// and operations.
	StatusProcessors    int
	OperationProcessors int
	// SyncTimeout terminates operations running longer; zero means none.
	SyncTimeout time.Duration
	// AppResync is the period of the periodic refresh.
	AppResync time.Duration
}
