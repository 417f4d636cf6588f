package server

import (
	"context"
	"fmt"
	"path/filepath"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/render"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/helmrepo"
	"capstan.dev/capstan/pkg/target"
)

// secretTypeLabel marks Argo CD's repository, repo-creds and cluster Secrets.
const secretTypeLabel = "argocd.argoproj.io/secret-type"

// newArgoSecrets lists the Argo CD Secrets (repository, repo-creds and cluster)
// of --repository-namespace through one informer, synced before it returns,
// so that credentials and destination clusters read the same cache.
func (o *Options) newArgoSecrets(ctx context.Context, destination *rest.Config) (corev1listers.SecretNamespaceLister, error) {
	kube, err := kubernetes.NewForConfig(destination)
	if err != nil {
		return nil, err
	}
	namespace := o.Controllers.RepoNamespace
	factory := kubeinformers.NewSharedInformerFactoryWithOptions(kube, 0,
		kubeinformers.WithNamespace(namespace),
		kubeinformers.WithTweakListOptions(func(options *metav1.ListOptions) { options.LabelSelector = secretTypeLabel }))
	secrets := factory.Core().V1().Secrets()
	lister := secrets.Lister().Secrets(namespace)
	factory.Start(ctx.Done())
	for informer, synced := range factory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			return nil, fmt.Errorf("repository and cluster Secrets in %s did not sync (%v)", namespace, informer)
		}
	}
	return lister, nil
}

// newTargetSource builds the source → render pipeline: repository credentials
// from the Secrets of --repository-namespace, Git object stores under
// --cache-dir, and the renderers.
func (o *Options) newTargetSource(secrets corev1listers.SecretNamespaceLister, knownHosts *credentials.KnownHosts) (*target.Source, error) {
	store := credentials.NewSecretStore(secrets)
	if knownHosts != nil {
		store.KnownHosts = func() *credentials.KnownHosts { return knownHosts }
	}

	gitCache, err := git.NewCache(filepath.Join(o.Controllers.CacheDir, "git"), git.Options{
		RefTTL:        o.Controllers.AppResync,
		AllowFileURLs: o.Controllers.AllowFileRepoURLs,
	})
	if err != nil {
		return nil, err
	}
	charts, err := helmrepo.NewClient(filepath.Join(o.Controllers.CacheDir, "helm"), helmrepo.Options{IndexTTL: o.Controllers.AppResync})
	if err != nil {
		return nil, err
	}
	return target.New(gitCache, charts, render.Options{
		MaxManifestBytes:     o.Controllers.MaxManifestBytes,
		Timeout:              o.Controllers.RenderTimeout,
		MaxConcurrentRenders: o.Controllers.MaxConcurrentRenders,
		AllowRemoteBases:     o.Controllers.AllowKustomizeRemoteBases,
		Plugins:              o.plugins,
	}, store), nil
}

// knownHostsConfigMap is Argo CD's ConfigMap of SSH known hosts, read from --repository-namespace.
const knownHostsConfigMap = "argocd-ssh-known-hosts-cm"

// readKnownHosts reads the SSH known hosts once at start-up; without them SSH
// repositories need insecureIgnoreHostKey. Errors are logged, not fatal.
func (o *Options) readKnownHosts(ctx context.Context, destination *rest.Config) *credentials.KnownHosts {
	logger := klog.FromContext(ctx)
	kube, err := kubernetes.NewForConfig(destination)
	if err != nil {
		logger.Error(err, "SSH known hosts not loaded")
		return nil
	}
	cm, err := kube.CoreV1().ConfigMaps(o.Controllers.RepoNamespace).Get(ctx, knownHostsConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		logger.Error(err, "SSH known hosts not loaded", "configMap", klog.KRef(o.Controllers.RepoNamespace, knownHostsConfigMap))
		return nil
	}
	knownHosts, err := credentials.KnownHostsFromConfigMap(cm.Data)
	if err != nil {
		logger.Error(err, "SSH known hosts not loaded", "configMap", klog.KRef(o.Controllers.RepoNamespace, knownHostsConfigMap))
		return nil
	}
	return knownHosts
}
