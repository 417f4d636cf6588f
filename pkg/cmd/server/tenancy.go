package server

import (
	"fmt"
	"io"
	"slices"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/union"
	genericapiserver "k8s.io/apiserver/pkg/server"

	capstanadmission "capstan.dev/capstan/pkg/admission"
	"capstan.dev/capstan/pkg/discoveryauthz"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
	"capstan.dev/capstan/pkg/project"
)

// TenancyOptions say which namespaces are trusted and whose identity syncs
// use: the settings of the project rules (DESIGN §7).
type TenancyOptions struct {
	// ControlNamespaces are trusted like Argo CD's own namespace.
	ControlNamespaces []string
	// SyncImpersonation makes syncs apply, prune and delete as the
	// ServiceAccount of the project's destinationServiceAccounts.
	SyncImpersonation bool
	// LocalDiscoveryAuthorization lets every authenticated user get the
	// discovery and OpenAPI documents without a SubjectAccessReview, as the
	// default system:discovery ClusterRole does.
	LocalDiscoveryAuthorization bool
}

// NewTenancyOptions returns the defaults: capstan-system and argocd are
// control namespaces, syncs use the server's identity (as in Argo CD).
func NewTenancyOptions() *TenancyOptions {
	return &TenancyOptions{ControlNamespaces: slices.Clone(project.DefaultControlNamespaces), LocalDiscoveryAuthorization: true}
}

// AddFlags registers the tenancy flags.
func (o *TenancyOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.ControlNamespaces, "control-namespaces", o.ControlNamespaces,
		"Namespaces trusted like Argo CD's own: their Applications and ApplicationSets may use any AppProject, "+
			"so Kubernetes RBAC on these namespaces is the gate. Elsewhere an AppProject must list the namespace in spec.sourceNamespaces.")
	fs.BoolVar(&o.SyncImpersonation, "sync-impersonation", o.SyncImpersonation,
		"Apply, prune and delete as the ServiceAccount that the AppProject's spec.destinationServiceAccounts names for the destination "+
			"(Argo CD's sync impersonation); a destination without one cannot be synced. Needs the right to impersonate serviceaccounts.")
	fs.BoolVar(&o.LocalDiscoveryAuthorization, "authorize-discovery-locally", o.LocalDiscoveryAuthorization,
		"Let every authenticated user get the discovery and OpenAPI documents without asking kube-apiserver, as the default "+
			"system:discovery ClusterRole does (kube-apiserver's aggregator fetches them every few seconds). "+
			"Set false if the cluster restricts system:discovery: each request is then authorized by a SubjectAccessReview.")
}

// authorizer puts the local discovery authorization in front of the
// delegated one, when enabled.
func (o *TenancyOptions) authorizer(delegated authorizer.Authorizer) (authorizer.Authorizer, error) {
	if !o.LocalDiscoveryAuthorization || delegated == nil {
		return delegated, nil
	}
	return union.New(
		union.NamedAuthorizer{AuthorizerName: "capstan-discovery", Authorizer: discoveryauthz.Authorizer{}},
		union.NamedAuthorizer{AuthorizerName: "delegated", Authorizer: delegated})
}

// Validate checks the control namespaces are namespace names.
func (o *TenancyOptions) Validate() []error {
	var errs []error
	for _, namespace := range o.ControlNamespaces {
		if problems := validation.IsDNS1123Label(namespace); len(problems) > 0 {
			errs = append(errs, fmt.Errorf("--control-namespaces: %q is not a namespace name: %v", namespace, problems))
		}
	}
	return errs
}

// Policy is the project policy these options describe.
func (o *TenancyOptions) Policy() project.Policy {
	return project.Policy{ControlNamespaces: slices.Clone(o.ControlNamespaces)}
}

// registerAdmission adds the CapstanProject admission plugin, on by default,
// with the policy read when the admission chain is built (after flags).
func (o *Options) registerAdmission() {
	admissionOptions := o.RecommendedOptions.Admission
	admissionOptions.Plugins.Register(capstanadmission.PluginName, func(config io.Reader) (admission.Interface, error) {
		return capstanadmission.New(o.Tenancy.Policy()), nil
	})
	admissionOptions.RecommendedPluginOrder = append(admissionOptions.RecommendedPluginOrder, capstanadmission.PluginName)
	o.RecommendedOptions.ExtraAdmissionInitializers = func(c *genericapiserver.RecommendedConfig) ([]admission.PluginInitializer, error) {
		client, err := clientset.NewForConfig(inProcess(c.LoopbackClientConfig, &o.loopback))
		if err != nil {
			return nil, fmt.Errorf("admission: client of the capstan.dev API: %w", err)
		}
		o.admissionInformers = informers.NewSharedInformerFactory(client, 0)
		return []admission.PluginInitializer{capstanadmission.NewInitializer(o.admissionInformers)}, nil
	}
}
