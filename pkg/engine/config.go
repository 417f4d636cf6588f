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
