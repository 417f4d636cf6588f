// Package server turns capstan-apiserver's command line into a running server:
// options, then config, then run.
package server

import (
	"fmt"
	"io"
	"net"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	mutatingpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/mutating"
	"k8s.io/apiserver/pkg/features"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cliflag "k8s.io/component-base/cli/flag"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
	"capstan.dev/capstan/pkg/inprocess"
	"capstan.dev/capstan/pkg/memory"
	"capstan.dev/capstan/pkg/scheme"
)

// defaultEtcdPathPrefix keeps Capstan's keys apart when it shares an etcd with kube-apiserver.
const defaultEtcdPathPrefix = "/registry/capstan.dev"

// Options are the command-line options of capstan-apiserver.
type Options struct {
	// RecommendedOptions are the generic API server's: serving, etcd, delegated
	// authentication and authorization, admission, audit, features.
	RecommendedOptions *genericoptions.RecommendedOptions
	// EmbeddedEtcd configures the in-process etcd used when --etcd-servers is empty.
	EmbeddedEtcd *EmbeddedEtcdOptions
	// Controllers configure the controllers that run in this process.
	Controllers *ControllerOptions
	// ClientRate limits the controllers' clients.
	ClientRate *ClientRateOptions
	// Tenancy configures the project rules: control namespaces and sync impersonation.
	Tenancy *TenancyOptions
	// ApplicationSets configure the ApplicationSet controller.
	ApplicationSets *ApplicationSetOptions
	// ServingCA makes the server keep its own serving CA and publish it in the APIService.
	ServingCA *ServingCAOptions
	// Sharding spreads the Applications over replicas.
	Sharding *ShardingOptions
	// Webhook configures the Git webhook receiver.
	Webhook *WebhookOptions
	// Parity configures what repositories written for Argo CD may contain.
	Parity *ParityOptions
	// Standalone serves without a Kubernetes API server: no delegated
	// authentication or authorization, no admission webhooks. Loopback only.
	Standalone bool
	// AlternateDNS are extra names for the self-signed serving certificate,
	// or the one issued by the serving CA.
	AlternateDNS []string
	// PrintVersion prints Capstan's version and exits.
	PrintVersion bool
	// CacheConsistencyCheck keeps the API server's periodic comparison of
	// its watch caches with etcd (the DetectCacheInconsistency feature).
	CacheConsistencyCheck bool

	// embedded is set by Complete when the embedded etcd is to be started.
	embedded bool
	// admissionInformers hold the AppProjects the admission plugin reads;
	// set when the admission chain is built, started once the server runs.
	admissionInformers informers.SharedInformerFactory
	// loopback carries the server's requests to itself (controllers,
	// webhooks, admission informers) in process; its handler is set once
	// the server is built.
	loopback inprocess.Transport
	// releaser returns memory and processors while the controllers are
	// quiet; the handler chain tells it of the requests served. Set by Run.
	releaser *memory.Releaser

	StdOut io.Writer
	StdErr io.Writer
}

// NewOptions returns the default options.
func NewOptions(out, errOut io.Writer) *Options {
	o := &Options{
		RecommendedOptions: genericoptions.NewRecommendedOptions(
			defaultEtcdPathPrefix,
			scheme.FastCodecs.LegacyCodec(v1alpha1.SchemeGroupVersion),
		),
		EmbeddedEtcd:    NewEmbeddedEtcdOptions(),
		Controllers:     NewControllerOptions(),
		ClientRate:      NewClientRateOptions(),
		Tenancy:         NewTenancyOptions(),
		ApplicationSets: NewApplicationSetOptions(),
		ServingCA:       NewServingCAOptions(),
		Webhook:         NewWebhookOptions(),
		Parity:          NewParityOptions(),
		Sharding:        NewShardingOptions(),
		AlternateDNS:    []string{"capstan-apiserver.capstan-system.svc"},
		StdOut:          out,
		StdErr:          errOut,
	}
	// MutatingAdmissionPolicy polls the OpenAPI of kube-apiserver every few
	// seconds for its type converter: requests while idle, for a plugin that
	// is beta and off in kube-apiserver itself. --enable-admission-plugins
	// turns it back on.
	o.RecommendedOptions.Admission.DefaultOffPlugins.Insert(mutatingpolicy.PluginName)
	o.RecommendedOptions.Etcd.StorageConfig.EncodeVersioner = runtime.NewMultiGroupVersioner(
		v1alpha1.SchemeGroupVersion, schema.GroupKind{Group: v1alpha1.GroupName})
	o.registerAdmission()
	return o
}

// AddFlags registers every flag in named sections, one per concern.
func (o *Options) AddFlags(fss *cliflag.NamedFlagSets) {
	o.RecommendedOptions.SecureServing.AddFlags(fss.FlagSet("secure serving"))
	o.ServingCA.AddFlags(fss.FlagSet("serving CA"))
	o.RecommendedOptions.Etcd.AddFlags(fss.FlagSet("etcd"))
	o.EmbeddedEtcd.AddFlags(fss.FlagSet("embedded etcd"))
	o.Controllers.AddFlags(fss.FlagSet("controllers"))
	o.Sharding.AddFlags(fss.FlagSet("sharding"))
	o.ApplicationSets.AddFlags(fss.FlagSet("applicationsets"))
	o.Tenancy.AddFlags(fss.FlagSet("tenancy"))
	o.Webhook.AddFlags(fss.FlagSet("webhooks"))
	o.Parity.AddFlags(fss.FlagSet("argo cd parity"))
	o.RecommendedOptions.Authentication.AddFlags(fss.FlagSet("authentication"))
	o.RecommendedOptions.Authorization.AddFlags(fss.FlagSet("authorization"))
	o.RecommendedOptions.CoreAPI.AddFlags(fss.FlagSet("kubernetes API"))
	o.ClientRate.AddFlags(fss.FlagSet("kubernetes API"))
	o.RecommendedOptions.Admission.AddFlags(fss.FlagSet("admission"))
	o.RecommendedOptions.Audit.AddFlags(fss.FlagSet("audit"))
	o.RecommendedOptions.Features.AddFlags(fss.FlagSet("features"))
	o.RecommendedOptions.EgressSelector.AddFlags(fss.FlagSet("egress selector"))
	o.RecommendedOptions.Traces.AddFlags(fss.FlagSet("traces"))

	fs := fss.FlagSet("capstan")
	fs.BoolVar(&o.Standalone, "standalone", o.Standalone,
		"Serve without a Kubernetes API server: no delegated authentication, authorization or admission. "+
			"Everyone who can reach the port has full access, so it requires a loopback --bind-address.")
	fs.StringSliceVar(&o.AlternateDNS, "alternate-dns", o.AlternateDNS,
		"DNS names of the serving certificate, self-signed or issued by --serving-ca-secret, when no --tls-cert-file is given. "+
			"The aggregator verifies it for the APIService's Service as NAME.NAMESPACE.svc.")
	fs.BoolVar(&o.PrintVersion, "version", o.PrintVersion, "Print Capstan's version and exit.")
	fs.BoolVar(&o.CacheConsistencyCheck, "cache-consistency-check", o.CacheConsistencyCheck,
		"Every 5 to 7.5 minutes, list every Application, ApplicationSet and AppProject from etcd and compare them with the watch caches "+
			"(Kubernetes' DetectCacheInconsistency). Off by default: capstan-apiserver is the only client of its embedded etcd, and "+
			"the check is what an idle server spent most of its CPU and memory churn on.")
}

// Complete fills in what follows from other options.
func (o *Options) Complete() error {
	if o.Standalone {
		o.RecommendedOptions.Authentication = nil
		o.RecommendedOptions.Authorization = nil
		o.RecommendedOptions.CoreAPI = nil
		o.RecommendedOptions.Admission = nil
		o.RecommendedOptions.Features.EnablePriorityAndFairness = false
	}
	if err := utilfeature.DefaultMutableFeatureGate.SetFromMap(map[string]bool{
		string(features.DetectCacheInconsistency): o.CacheConsistencyCheck,
	}); err != nil {
		return fmt.Errorf("--cache-consistency-check: %w", err)
	}
	etcd := &o.RecommendedOptions.Etcd.StorageConfig.Transport
	if len(etcd.ServerList) == 0 {
		o.embedded = true
		// Replaced by the real URL once the embedded etcd listens.
		etcd.ServerList = []string{"http://127.0.0.1:0"}
	}
	return nil
}

// Validate checks the options after Complete.
func (o *Options) Validate() error {
	errs := o.RecommendedOptions.Validate()
	if o.embedded {
		errs = append(errs, o.EmbeddedEtcd.Validate()...)
	}
	errs = append(errs, o.Controllers.Validate()...)
	errs = append(errs, o.Sharding.Validate(o.Controllers.LeaderElect)...)
	errs = append(errs, o.ClientRate.Validate()...)
	errs = append(errs, o.Tenancy.Validate()...)
	errs = append(errs, o.ApplicationSets.Validate()...)
	errs = append(errs, o.Webhook.Validate(o.Standalone)...)
	errs = append(errs, o.Parity.Validate()...)
	certKey := o.RecommendedOptions.SecureServing.ServerCert.CertKey
	errs = append(errs, o.ServingCA.Validate(certKey.CertFile != "" || certKey.KeyFile != "", o.Standalone)...)
	if o.Standalone {
		ip := o.RecommendedOptions.SecureServing.BindAddress
		if ip == nil || !ip.IsLoopback() {
			errs = append(errs, fmt.Errorf("--standalone: --bind-address must be a loopback address, not %v", ip))
		}
	}
	return utilerrors.NewAggregate(errs)
}

// loopbackIPs are the addresses the serving certificate covers when none is given.
var loopbackIPs = []net.IP{net.ParseIP("127.0.0.1")}
