package engine

import (
	"context"
	"fmt"
	"path/filepath"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/actions"
	"capstan.dev/capstan/pkg/appset/generators"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/codec"
	"capstan.dev/capstan/pkg/compare"
	"capstan.dev/capstan/pkg/diff"
	"capstan.dev/capstan/pkg/render"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/helmrepo"
	"capstan.dev/capstan/pkg/target"
)

// Engine is the assembled GitOps engine of one server.
type Engine struct {
	config Config
	// Kube is the one client of the cluster Capstan runs in.
	Kube kubernetes.Interface
	// Secrets are the Argo CD Secrets (repository, repo-creds, cluster) of
	// the repository namespace, from one informer.
	Secrets corev1listers.SecretNamespaceLister
	// secretInformer is the informer behind Secrets.
	secretInformer cache.SharedIndexInformer
	// Clusters are the destinations and their managed-object caches.
	Clusters *cluster.Clusters
	// Git is the Git object store every reader of repositories shares.
	Git *git.Cache
	// Comparer compares Applications; the diff and manifests subresources
	// and the controllers share it.
	Comparer *compare.Comparer
	// Generators run ApplicationSets' generators; the ApplicationSet
	// controller and the preview subresource share them.
	Generators *generators.Generators
	// appSetClusters are the destination clusters as the generators see them.
	appSetClusters generators.ClusterSource
}

// secretTypeLabel marks Argo CD's repository, repo-creds and cluster Secrets.
const secretTypeLabel = "argocd.argoproj.io/secret-type"

// knownHostsConfigMap is Argo CD's ConfigMap of SSH known hosts.
const knownHostsConfigMap = "argocd-ssh-known-hosts-cm"

// Complete builds the engine: it connects to the cluster Capstan runs in,
// syncs the Argo CD Secrets, watches the settings ConfigMaps, and opens the
// caches. Settings that cannot be read are logged and do not stop the server.
func (c Config) Complete(ctx context.Context) (*Engine, error) {
	kube, err := kubernetes.NewForConfig(c.Destination)
	if err != nil {
		return nil, err
	}
	e := &Engine{config: c, Kube: kube}
	if e.Secrets, err = e.argoSecrets(ctx); err != nil {
		return nil, err
	}
	if e.Clusters, err = cluster.NewClusters(ctx, c.Destination, e.Secrets); err != nil {
		return nil, err
	}
	settings := e.startSettings(ctx)
	plugins, err := e.startPlugins(ctx)
	if err != nil {
		return nil, err
	}
	targets, err := e.targetSource(ctx, plugins)
	if err != nil {
		return nil, err
	}
	e.Comparer = &compare.Comparer{
		Clusters: e.Clusters, Targets: targets, Differ: diff.NewDiffer(100_000), Health: settings,
		SystemRulesFrom: settings.SystemRules, SettingsGeneration: settings.Generation, Actions: actions.Runner{Customizations: settings.Customizations},
		Policy: c.Policy, Impersonation: c.Impersonation, TranslateArgoproj: c.Parity.TranslateArgoprojManifests,
	}
	if err := e.newGenerators(targets); err != nil {
		return nil, err
	}
	return e, nil
}

// argoSecrets lists the Argo CD Secrets of the repository namespace through
// one informer, synced before it returns, so that credentials and destination
// clusters read the same cache.
func (e *Engine) argoSecrets(ctx context.Context) (corev1listers.SecretNamespaceLister, error) {
	namespace := e.config.RepoNamespace
	factory := kubeinformers.NewSharedInformerFactoryWithOptions(e.Kube, 0,
		kubeinformers.WithNamespace(namespace),
		kubeinformers.WithTweakListOptions(func(options *metav1.ListOptions) { options.LabelSelector = secretTypeLabel }))
	secrets := factory.Core().V1().Secrets()
	e.secretInformer = secrets.Informer()
	lister := secrets.Lister().Secrets(namespace)
	factory.Start(ctx.Done())
	for informer, synced := range factory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			return nil, fmt.Errorf("repository and cluster Secrets in %s did not sync (%v)", namespace, informer)
		}
	}
	return lister, nil
}

// newGenerators builds the ApplicationSet generators over the engine's
// cluster Secrets and Git object store, and the destination cluster for
// Secrets, ConfigMaps and duck-typed resources.
func (e *Engine) newGenerators(targets *target.Source) error {
	dynamicClient, err := codec.NewDynamicClient(e.config.Destination)
	if err != nil {
		return err
	}
	e.appSetClusters = generators.SecretClusters{Secrets: e.Secrets}
	e.Generators = generators.New(generators.Sources{
		Clusters:            e.appSetClusters,
		Git:                 targets,
		Kube:                e.Kube,
		Dynamic:             dynamicClient,
		RepositoryNamespace: e.config.RepoNamespace,
		AllowedSCMProviders: e.config.ApplicationSets.AllowedSCMProviders,
		ControlNamespaces:   e.config.Policy.ControlNamespaces,
	})
	return nil
}

// targetSource builds the source → render pipeline: repository credentials
// from the Secrets, Git object stores and chart archives under the cache
// directory, and the renderers (plugins may be nil).
func (e *Engine) targetSource(ctx context.Context, plugins render.PluginRenderer) (*target.Source, error) {
	sources := e.config.Sources
	store := credentials.NewSecretStore(e.Secrets)
	if knownHosts := e.knownHosts(ctx); knownHosts != nil {
		store.KnownHosts = func() *credentials.KnownHosts { return knownHosts }
	}
	var err error
	e.Git, err = git.NewCache(filepath.Join(sources.CacheDir, "git"), git.Options{
		RefTTL:        sources.RefTTL,
		AllowFileURLs: sources.AllowFileRepoURLs,
	})
	if err != nil {
		return nil, err
	}
	charts, err := helmrepo.NewClient(filepath.Join(sources.CacheDir, "helm"), helmrepo.Options{IndexTTL: sources.RefTTL})
	if err != nil {
		return nil, err
	}
	return target.New(e.Git, charts, render.Options{
		MaxManifestBytes:     sources.MaxManifestBytes,
		Timeout:              sources.RenderTimeout,
		MaxConcurrentRenders: sources.MaxConcurrentRenders,
		CacheBytes:           sources.RenderCacheBytes,
		AllowRemoteBases:     sources.AllowKustomizeRemoteBases,
		Plugins:              plugins,
	}, store), nil
}

// knownHosts reads the SSH known hosts once at start-up; without them SSH
// repositories need insecureIgnoreHostKey. Errors are logged, not fatal.
func (e *Engine) knownHosts(ctx context.Context) *credentials.KnownHosts {
	logger := klog.FromContext(ctx).WithValues("configMap", klog.KRef(e.config.RepoNamespace, knownHostsConfigMap))
	data, err := e.configMapData(ctx, knownHostsConfigMap)
	if err != nil {
		logger.Error(err, "SSH known hosts not loaded")
		return nil
	}
	if data == nil {
		return nil
	}
	knownHosts, err := credentials.KnownHostsFromConfigMap(data)
	if err != nil {
		logger.Error(err, "SSH known hosts not loaded")
		return nil
	}
	return knownHosts
}

// configMapData reads a settings ConfigMap of the repository namespace. A
// missing ConfigMap, or no name, means no settings.
func (e *Engine) configMapData(ctx context.Context, name string) (map[string]string, error) {
	if name == "" {
		return nil, nil
	}
	namespace := e.config.RepoNamespace
	configMap, err := e.Kube.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		klog.FromContext(ctx).V(2).Info("No settings ConfigMap", "configMap", klog.KRef(namespace, name))
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ConfigMap %s/%s: %w", namespace, name, err)
	}
	return configMap.Data, nil
}
