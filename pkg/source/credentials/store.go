package credentials

import (
	"fmt"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	corev1listers "k8s.io/client-go/listers/core/v1"

	"capstan.dev/capstan/pkg/source/repourl"
)

// SecretStore finds repository credentials among the Secrets of one namespace
// (the server namespace), read from an informer's lister so that a lookup
// costs no API call.
type SecretStore struct {
	lister corev1listers.SecretNamespaceLister
	// KnownHosts, when set, is attached to every credential returned, for SSH
	// host key verification.
	KnownHosts func() *KnownHosts
}

// NewSecretStore returns a store over the Secrets listed by lister.
func NewSecretStore(lister corev1listers.SecretNamespaceLister) *SecretStore {
	return &SecretStore{lister: lister}
}

// repositorySecrets selects Secrets carrying the Argo CD repository labels.
var repositorySecrets = func() labels.Selector {
	requirement, err := labels.NewRequirement(SecretTypeLabel, selection.In,
		[]string{SecretTypeRepository, SecretTypeRepoCreds})
	if err != nil {
		panic(err) // constant input
	}
	return labels.NewSelector().Add(*requirement)
}()

// Lookup returns the credentials for repoURL, or anonymous credentials (with
// URL set) when no Secret matches.
func (s *SecretStore) Lookup(repoURL string, opts LookupOptions) (Credentials, error) {
	secrets, err := s.lister.List(repositorySecrets)
	if err != nil {
		return Credentials{}, fmt.Errorf("list repository Secrets for %s: %w", repourl.Redact(repoURL), err)
	}
	creds, found, err := Find(secrets, repoURL, opts)
	if err != nil {
		return Credentials{}, err
	}
	if !found {
		creds = Credentials{URL: repoURL, Type: opts.Type}
	}
	if s.KnownHosts != nil {
		creds.KnownHosts = s.KnownHosts()
	}
	return creds, nil
}
