package server

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"capstan.dev/capstan/pkg/servingca"
)

// ServingCAOptions let capstan-apiserver keep its own serving CA in a Secret,
// serve with a certificate issued from it and publish it as the APIService's
// caBundle, so that kube-apiserver verifies the server without a certificate
// given by hand.
type ServingCAOptions struct {
	// Secret is the namespace/name of the Secret that holds the CA; empty turns the serving CA off.
	Secret string
	// APIService is the APIService whose caBundle is set; empty leaves it alone.
	APIService string
}

// NewServingCAOptions returns the serving CA turned off, publishing to
// Capstan's own APIService once turned on.
func NewServingCAOptions() *ServingCAOptions {
	return &ServingCAOptions{APIService: "v1alpha1.capstan.dev"}
}

// AddFlags registers the serving CA flags.
func (o *ServingCAOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Secret, "serving-ca-secret", o.Secret,
		"NAMESPACE/NAME of a Secret holding the serving CA (keys ca.crt and ca.key), created with a new CA when it does not exist. "+
			"The server serves with a certificate issued from it for --alternate-dns and writes it into --apiservice's caBundle. "+
			"Empty: no serving CA. Cannot be combined with --tls-cert-file.")
	fs.StringVar(&o.APIService, "apiservice", o.APIService,
		"APIService whose spec.caBundle is set to the serving CA (and insecureSkipTLSVerify cleared) at start-up. "+
			"Empty: no APIService is changed. Used only with --serving-ca-secret.")
}

// Enabled tells whether the server uses the serving CA.
func (o *ServingCAOptions) Enabled() bool { return o.Secret != "" }

// Validate checks the serving CA options; servingCertGiven tells whether
// --tls-cert-file or --tls-private-key-file was given, and standalone
// whether the server runs without a Kubernetes API server.
func (o *ServingCAOptions) Validate(servingCertGiven, standalone bool) []error {
	if !o.Enabled() {
		return nil
	}
	var errs []error
	namespace, name := o.secretRef()
	if namespace == "" || name == "" || strings.Contains(name, "/") {
		errs = append(errs, fmt.Errorf("--serving-ca-secret: %q is not NAMESPACE/NAME", o.Secret))
	} else {
		for _, msg := range validation.IsDNS1123Label(namespace) {
			errs = append(errs, fmt.Errorf("--serving-ca-secret: namespace %q: %s", namespace, msg))
		}
		for _, msg := range validation.IsDNS1123Subdomain(name) {
			errs = append(errs, fmt.Errorf("--serving-ca-secret: name %q: %s", name, msg))
		}
	}
	if o.APIService != "" {
		for _, msg := range validation.IsDNS1123Subdomain(o.APIService) {
			errs = append(errs, fmt.Errorf("--apiservice: %q: %s", o.APIService, msg))
		}
	}
	if servingCertGiven {
		errs = append(errs, fmt.Errorf("--serving-ca-secret cannot be combined with --tls-cert-file or --tls-private-key-file: "+
			"the server either issues its serving certificate from its CA or serves the one given"))
	}
	if standalone {
		errs = append(errs, fmt.Errorf("--serving-ca-secret cannot be combined with --standalone: the CA is kept in the Kubernetes API server"))
	}
	return errs
}

// servingCert reads or creates the CA through kube, the Kubernetes API
// server's client config, publishes it, and returns the serving certificate
// for config's names.
func (o *ServingCAOptions) servingCert(ctx context.Context, kube *rest.Config, config servingca.Config) (*servingca.ServingCert, error) {
	secrets, err := kubernetes.NewForConfig(kube)
	if err != nil {
		return nil, fmt.Errorf("serving CA: %w", err)
	}
	apiServices, err := dynamic.NewForConfig(kube)
	if err != nil {
		return nil, fmt.Errorf("serving CA: %w", err)
	}
	config.SecretNamespace, config.SecretName = o.secretRef()
	config.APIService = o.APIService
	return servingca.Setup(ctx, secrets.CoreV1(), apiServices, config)
}

// secretRef splits --serving-ca-secret into namespace and name.
func (o *ServingCAOptions) secretRef() (namespace, name string) {
	namespace, name, _ = strings.Cut(o.Secret, "/")
	return namespace, name
}

// servingDNSNames are the names of the certificate issued by the serving CA:
// alternateDNS, the Service's name first, then localhost as the self-signed
// certificate has it, for probes and port-forwards inside the pod.
func servingDNSNames(alternateDNS []string) []string {
	names := slices.Clone(alternateDNS)
	if !slices.Contains(names, "localhost") {
		names = append(names, "localhost")
	}
	return names
}
