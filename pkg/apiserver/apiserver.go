// Package apiserver wires the capstan.dev API group into a generic API server.
package apiserver

import (
	"fmt"

	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/project"
	"capstan.dev/capstan/pkg/registry/capstan/application"
	"capstan.dev/capstan/pkg/registry/capstan/applicationset"
	"capstan.dev/capstan/pkg/registry/capstan/appproject"
	"capstan.dev/capstan/pkg/scheme"
)

// Config is the configuration of a capstan-apiserver.
type Config struct {
	GenericConfig *genericapiserver.RecommendedConfig
	// Engine computes the diff and manifests subresources; nil without a destination cluster.
	Engine application.Engine
	// Policy holds the server-wide project settings (control namespaces).
	Policy project.Policy
	// ApplicationSets configure the preview subresource; its Generators are
	// nil without a destination cluster.
	ApplicationSets applicationset.PreviewConfig
}

// CapstanServer is a running capstan.dev API server.
type CapstanServer struct {
	GenericAPIServer *genericapiserver.GenericAPIServer
	// Applications and ApplicationSets list the stored objects (their
	// metadata and spec) from the server's watch cache, for in-process
	// readers that need no informer of their own (the Git webhook receiver).
	Applications    StoredApplications
	ApplicationSets StoredApplicationSets
}

type completedConfig struct {
	GenericConfig   genericapiserver.CompletedConfig
	Engine          application.Engine
	Policy          project.Policy
	ApplicationSets applicationset.PreviewConfig
}

// CompletedConfig is a Config whose defaults are filled in; only it can build a server.
type CompletedConfig struct {
	*completedConfig
}

// Complete fills in the fields of cfg that were left unset.
func (cfg *Config) Complete() CompletedConfig {
	return CompletedConfig{&completedConfig{GenericConfig: cfg.GenericConfig.Complete(), Engine: cfg.Engine, Policy: cfg.Policy,
		ApplicationSets: cfg.ApplicationSets}}
}

// New builds the server and installs the capstan.dev group in it.
func (c completedConfig) New() (*CapstanServer, error) {
	genericServer, err := c.GenericConfig.New("capstan-apiserver", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return nil, err
	}
	storage, err := newStorage(c.GenericConfig.RESTOptionsGetter, c.Engine, c.Policy, c.GenericConfig.Authorization.Authorizer, c.ApplicationSets)
	if err != nil {
		return nil, err
	}
	apiGroupInfo := genericapiserver.NewDefaultAPIGroupInfo(capstan.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	apiGroupInfo.NegotiatedSerializer = withoutProtobuf{scheme.FastCodecs.Negotiated(scheme.Codecs)}
	apiGroupInfo.VersionedResourcesStorageMap[v1alpha1.SchemeGroupVersion.Version] = storage
	if err := genericServer.InstallAPIGroup(&apiGroupInfo); err != nil {
		return nil, fmt.Errorf("install API group %s: %w", capstan.GroupName, err)
	}
	return &CapstanServer{GenericAPIServer: genericServer,
		Applications:    StoredApplications{lister: storage["applications"].(rest.Lister)},
		ApplicationSets: StoredApplicationSets{lister: storage["applicationsets"].(rest.Lister)},
	}, nil
}

// newStorage builds the REST storage of every resource and subresource, keyed by path.
func newStorage(optsGetter generic.RESTOptionsGetter, engine application.Engine, policy project.Policy, authz authorizer.Authorizer,
	appSetPreview applicationset.PreviewConfig) (map[string]rest.Storage, error) {
	projects, err := appproject.NewStorage(scheme.Scheme, optsGetter)
	if err != nil {
		return nil, fmt.Errorf("appprojects storage: %w", err)
	}
	getProject := projectGetter(projects.AppProject)
	access := application.Access{Policy: policy, Project: getProject}
	if authz != nil {
		access.Authorizer = authz
	}
	apps, err := application.NewStorage(scheme.Scheme, optsGetter, engine, access)
	if err != nil {
		return nil, fmt.Errorf("applications storage: %w", err)
	}
	appSetPreview.Access = applicationset.Access{Policy: policy, Project: getProject, Authorizer: access.Authorizer}
	appSetPreview.Applications = applicationLister(apps.Application)
	appSets, err := applicationset.NewStorage(scheme.Scheme, optsGetter, appSetPreview)
	if err != nil {
		return nil, fmt.Errorf("applicationsets storage: %w", err)
	}
	return map[string]rest.Storage{
		"applications":              apps.Application,
		"applications/status":       apps.Status,
		"applications/sync":         apps.Sync,
		"applications/terminate":    apps.Terminate,
		"applications/rollback":     apps.Rollback,
		"applications/diff":         apps.Diff,
		"applications/manifests":    apps.Manifests,
		"applications/parameters":   apps.Parameters,
		"applications/resourcetree": apps.Tree,
		"applications/resource":     apps.Live,
		"applications/actions":      apps.Actions,
		"applicationsets":           appSets.ApplicationSet,
		"applicationsets/status":    appSets.Status,
		"applicationsets/preview":   appSets.Preview,
		"appprojects":               projects.AppProject,
		"appprojects/status":        projects.Status,
	}, nil
}
