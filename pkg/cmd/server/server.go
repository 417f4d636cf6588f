package server

import (
	"context"
	"fmt"
	"net/http"

	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	utilcompatibility "k8s.io/apiserver/pkg/util/compatibility"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apiserver"
	"capstan.dev/capstan/pkg/dashboard"
	"capstan.dev/capstan/pkg/engine"
	"capstan.dev/capstan/pkg/generated/openapi"
	"capstan.dev/capstan/pkg/memory"
	"capstan.dev/capstan/pkg/scheme"
	"capstan.dev/capstan/pkg/servingca"
)

// Config builds the API server configuration from completed, validated
// options. With the serving CA it reads or creates the CA and publishes it in
// the APIService, through the Kubernetes API server.
func (o *Options) Config(ctx context.Context) (*apiserver.Config, error) {
	if !o.ServingCA.Enabled() {
		if err := o.RecommendedOptions.SecureServing.MaybeDefaultWithSelfSignedCerts("localhost", o.AlternateDNS, loopbackIPs); err != nil {
			return nil, fmt.Errorf("create self-signed serving certificate: %w", err)
		}
	}
	serverConfig := genericapiserver.NewRecommendedConfig(scheme.Codecs)
	namer := openapinamer.NewDefinitionNamer(scheme.Scheme)
	serverConfig.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	serverConfig.OpenAPIConfig.Info.Title = "Capstan"
	serverConfig.OpenAPIConfig.Info.Version = "v1alpha1"
	serverConfig.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	serverConfig.OpenAPIV3Config.Info.Title = "Capstan"
	serverConfig.OpenAPIV3Config.Info.Version = "v1alpha1"
	serverConfig.EffectiveVersion = utilcompatibility.DefaultBuildEffectiveVersion()

	if err := o.RecommendedOptions.ApplyTo(serverConfig); err != nil {
		return nil, err
	}
	// The dashboard's page and assets, behind authentication and
	// authorization (RBAC `get dashboards/ui`) like every API request.
	serverConfig.BuildHandlerChainFunc = func(apiHandler http.Handler, c *genericapiserver.Config) http.Handler {
		return genericapiserver.DefaultBuildHandlerChain(serving(dashboard.InCluster(apiHandler), o.releaser), c)
	}
	authz, err := o.Tenancy.authorizer(serverConfig.Authorization.Authorizer)
	if err != nil {
		return nil, fmt.Errorf("authorization: %w", err)
	}
	serverConfig.Authorization.Authorizer = authz
	if o.ServingCA.Enabled() && serverConfig.SecureServing != nil {
		// The core API client config exists only after ApplyTo; the serving
		// certificate is needed only once the server runs.
		servingCert, err := o.ServingCA.servingCert(ctx, serverConfig.ClientConfig, servingca.Config{
			DNSNames: servingDNSNames(o.AlternateDNS), IPs: loopbackIPs,
		})
		if err != nil {
			return nil, err
		}
		serverConfig.SecureServing.Cert = servingCert
	}
	return &apiserver.Config{GenericConfig: serverConfig, Policy: o.Tenancy.Policy()}, nil
}

// Run starts the embedded etcd when it is used, then serves until ctx ends.
func (o *Options) Run(ctx context.Context) error {
	if o.embedded {
		etcd, err := startEmbeddedEtcd(ctx, o.EmbeddedEtcd)
		if err != nil {
			return err
		}
		defer etcd.Close()
		o.RecommendedOptions.Etcd.StorageConfig.Transport.ServerList = []string{etcd.clientURL}
		klog.FromContext(ctx).Info("Embedded etcd is serving", "dataDir", o.EmbeddedEtcd.DataDir, "url", etcd.clientURL)
	}

	o.releaser = memory.NewReleaser(klog.FromContext(ctx))
	defer o.releaser.Stop()
	config, err := o.Config(ctx)
	if err != nil {
		return err
	}
	destination := o.ClientRate.apply(config.GenericConfig.ClientConfig)
	var gitops *engine.Engine
	if destination != nil {
		gitops, err = o.engineConfig(destination).Complete(ctx)
		if err != nil {
			return fmt.Errorf("connect to the destination cluster: %w", err)
		}
		config.Engine = gitops.Comparer
	}
	config.ApplicationSets = o.applicationSetPreview(gitops)
	webhooks, err := o.Webhook.listen()
	if err != nil {
		return err
	}
	server, err := config.Complete().New()
	if err != nil {
		return err
	}
	o.loopback.Handler = server.GenericAPIServer.Handler
	server.GenericAPIServer.AddPostStartHookOrDie("capstan-admission-informers", func(hookCtx genericapiserver.PostStartHookContext) error {
		if o.admissionInformers != nil {
			o.admissionInformers.Start(hookCtx.Done())
		}
		return nil
	})
	server.GenericAPIServer.AddPostStartHookOrDie("capstan-default-project", func(hookCtx genericapiserver.PostStartHookContext) error {
		return ensureDefaultProject(hookCtx, inProcess(hookCtx.LoopbackClientConfig, &o.loopback))
	})
	server.GenericAPIServer.AddPostStartHookOrDie("capstan-controllers", func(hookCtx genericapiserver.PostStartHookContext) error {
		// The hook context is cancelled when the server stops: the controllers stop with it.
		return o.startControllers(hookCtx, o.ClientRate.apply(inProcess(hookCtx.LoopbackClientConfig, &o.loopback)), gitops)
	})
	server.GenericAPIServer.AddPostStartHookOrDie("capstan-webhooks", func(hookCtx genericapiserver.PostStartHookContext) error {
		return o.serveWebhooks(hookCtx, webhooks, o.ClientRate.apply(inProcess(hookCtx.LoopbackClientConfig, &o.loopback)), destination,
			StoredObjects{Applications: server.Applications, ApplicationSets: server.ApplicationSets})
	})
	return server.GenericAPIServer.PrepareRun().RunWithContext(ctx)
}
