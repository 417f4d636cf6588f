package servingca

import (
	"context"
	"net"

	"k8s.io/client-go/dynamic"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/klog/v2"
)

// Config says where the authority is kept and what its serving certificate is for.
type Config struct {
	// SecretNamespace and SecretName name the Secret that stores the authority.
	SecretNamespace, SecretName string
	// APIService is the APIService whose caBundle becomes the authority's
	// certificate; empty leaves every APIService alone.
	APIService string
	// DNSNames and IPs are what the serving certificate is valid for; the
	// aggregator checks it for <service>.<namespace>.svc of the APIService.
	DNSNames []string
	IPs      []net.IP
}

// Setup is capstan-apiserver's start-up with its own serving CA: it reads the
// authority from its Secret or creates it, issues the serving certificate
// from it, and publishes it as the APIService's caBundle. It logs once what
// it did.
func Setup(ctx context.Context, secrets corev1client.SecretsGetter, apiServices dynamic.Interface, config Config) (*ServingCert, error) {
	authority, created, err := LoadOrCreateAuthority(ctx, secrets, config.SecretNamespace, config.SecretName)
	if err != nil {
		return nil, err
	}
	servingCert, err := NewServingCert(authority, config.DNSNames, config.IPs)
	if err != nil {
		return nil, err
	}
	published := false
	if config.APIService != "" {
		if published, err = PublishCABundle(ctx, apiServices, config.APIService, authority.CertificatePEM); err != nil {
			return nil, err
		}
	}
	klog.FromContext(ctx).Info("Serving with a certificate issued by the serving CA",
		"secret", klog.KRef(config.SecretNamespace, config.SecretName), "createdCA", created,
		"ca", authority.Certificate.Subject.CommonName, "caNotAfter", authority.Certificate.NotAfter,
		"dnsNames", config.DNSNames, "apiService", config.APIService, "caBundleUpdated", published)
	return servingCert, nil
}
