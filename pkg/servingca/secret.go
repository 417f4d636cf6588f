package servingca

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

const (
	// CertificateKey is the Secret key of the authority's PEM certificate.
	CertificateKey = "ca.crt"
	// PrivateKeyKey is the Secret key of the authority's PEM private key.
	PrivateKeyKey = "ca.key"
	// SecretType is the type of the Secrets capstan-apiserver creates. A
	// Secret of another type with the two keys is read all the same, so
	// one's own authority can be put in place before the first start.
	SecretType corev1.SecretType = "capstan.dev/serving-ca"
	// fieldManager names capstan-apiserver in managedFields.
	fieldManager = "capstan-apiserver"
)

// LoadOrCreateAuthority returns the authority stored in the Secret
// namespace/name, creating the authority and the Secret when it does not
// exist. When another replica creates it first, the one it stored wins, so
// every replica ends up with the same authority. A Secret that does not hold
// a usable authority is an error naming it, and is left as it is. created
// tells whether this call stored a new authority.
func LoadOrCreateAuthority(ctx context.Context, secrets corev1client.SecretsGetter, namespace, name string) (authority *Authority, created bool, err error) {
	client := secrets.Secrets(namespace)
	secret, err := client.Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		authority, err = authorityFromSecret(secret)
		return authority, false, err
	}
	if !apierrors.IsNotFound(err) {
		return nil, false, fmt.Errorf("read serving CA Secret %s/%s: %w", namespace, name, err)
	}

	authority, err = NewAuthority()
	if err != nil {
		return nil, false, err
	}
	_, err = client.Create(ctx, authority.secret(namespace, name), metav1.CreateOptions{FieldManager: fieldManager})
	if err == nil {
		return authority, true, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return nil, false, fmt.Errorf("create serving CA Secret %s/%s: %w", namespace, name, err)
	}
	secret, err = client.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, false, fmt.Errorf("read serving CA Secret %s/%s, created meanwhile by another replica: %w", namespace, name, err)
	}
	authority, err = authorityFromSecret(secret)
	return authority, false, err
}

// authorityFromSecret reads the authority a Secret holds.
func authorityFromSecret(secret *corev1.Secret) (*Authority, error) {
	authority, err := ParseAuthority(secret.Data[CertificateKey], secret.Data[PrivateKeyKey], time.Now())
	if err != nil {
		return nil, fmt.Errorf("serving CA Secret %s/%s: %w (fix it, or delete it to have a new authority created)",
			secret.Namespace, secret.Name, err)
	}
	return authority, nil
}

// secret is the Secret that stores the authority.
func (a *Authority) secret(namespace, name string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: namespace,
			Labels:    map[string]string{"app.kubernetes.io/managed-by": fieldManager},
		},
		Type: SecretType,
		Data: map[string][]byte{CertificateKey: a.CertificatePEM, PrivateKeyKey: a.keyPEM},
	}
}
