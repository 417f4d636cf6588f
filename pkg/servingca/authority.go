// Package servingca lets capstan-apiserver serve with a certificate that
// kube-apiserver's aggregator verifies, without cert-manager: a certificate
// authority kept in a Secret, a serving certificate issued from it in memory,
// and the authority published as the APIService's caBundle.
package servingca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"

	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

const (
	// servingCertLifetime is how long an issued serving certificate is valid;
	// ServingCert issues the next one well before that.
	servingCertLifetime = 365 * 24 * time.Hour
	// clockSkew backdates a serving certificate so that a kube-apiserver whose
	// clock is a little behind ours accepts it at once.
	clockSkew = 5 * time.Minute
)

// Authority is the certificate authority that signs capstan-apiserver's
// serving certificates, and whose certificate is the APIService's caBundle.
type Authority struct {
	// Certificate is the authority's self-signed certificate.
	Certificate *x509.Certificate
	// CertificatePEM is Certificate, PEM-encoded: the caBundle.
	CertificatePEM []byte
	// key signs the serving certificates.
	key crypto.Signer
	// keyPEM is key, PEM-encoded, as stored in the Secret.
	keyPEM []byte
}

// NewAuthority creates a certificate authority with a new ECDSA P-256 key,
// valid for ten years from now.
func NewAuthority() (*Authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate the serving CA key: %w", err)
	}
	// The time in the name tells a rotated authority from the one before.
	name := fmt.Sprintf("capstan-apiserver-serving-ca@%d", time.Now().Unix())
	cert, err := certutil.NewSelfSignedCACert(certutil.Config{CommonName: name}, key)
	if err != nil {
		return nil, fmt.Errorf("create the serving CA certificate: %w", err)
	}
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return nil, fmt.Errorf("encode the serving CA key: %w", err)
	}
	certPEM, err := certutil.EncodeCertificates(cert)
	if err != nil {
		return nil, fmt.Errorf("encode the serving CA certificate: %w", err)
	}
	return &Authority{Certificate: cert, CertificatePEM: certPEM, key: key, keyPEM: keyPEM}, nil
}

// ParseAuthority reads a certificate authority from its PEM-encoded
// certificate and private key, and checks that it can sign at time now: one
// CA certificate, valid now, whose public key is that of the private key.
// Errors say which of the two is wrong but never repeat their content.
func ParseAuthority(certPEM, keyPEM []byte, now time.Time) (*Authority, error) {
	if len(certPEM) == 0 {
		return nil, fmt.Errorf("%s: missing or empty", CertificateKey)
	}
	if len(keyPEM) == 0 {
		return nil, fmt.Errorf("%s: missing or empty", PrivateKeyKey)
	}
	certs, err := certutil.ParseCertsPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CertificateKey, err)
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("%s: holds %d certificates, want exactly one", CertificateKey, len(certs))
	}
	cert := certs[0]
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("%s: not a certificate authority (basic constraints CA and key usage cert sign)", CertificateKey)
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, fmt.Errorf("%s: valid from %s to %s, not now", CertificateKey,
			cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	}
	parsedKey, err := keyutil.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", PrivateKeyKey, err)
	}
	key, ok := parsedKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: a %T cannot sign", PrivateKeyKey, parsedKey)
	}
	public, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !public.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("%s: not the private key of the certificate in %s", PrivateKeyKey, CertificateKey)
	}
	return &Authority{Certificate: cert, CertificatePEM: certPEM, key: key, keyPEM: keyPEM}, nil
}

// Issued is a serving certificate and its private key.
type Issued struct {
	// Certificate is the parsed certificate.
	Certificate *x509.Certificate
	// CertificatePEM and KeyPEM are what the server serves with.
	CertificatePEM, KeyPEM []byte
}

// Issue returns a new serving certificate for dnsNames and ips, signed by the
// authority, valid from shortly before now for a year, or until the authority
// expires if that is sooner.
func (a *Authority) Issue(dnsNames []string, ips []net.IP, now time.Time) (*Issued, error) {
	if len(dnsNames) == 0 {
		return nil, errors.New("a serving certificate needs at least one DNS name")
	}
	if !now.Before(a.Certificate.NotAfter) {
		return nil, fmt.Errorf("the serving CA %s expired at %s: delete its Secret and restart to have a new one created",
			a.Certificate.Subject.CommonName, a.Certificate.NotAfter.UTC().Format(time.RFC3339))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate a serving key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generate a serial number: %w", err)
	}
	notAfter := now.Add(servingCertLifetime)
	if notAfter.After(a.Certificate.NotAfter) {
		notAfter = a.Certificate.NotAfter
	}
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: dnsNames[0]},
		DNSNames:              dnsNames,
		IPAddresses:           ips,
		NotBefore:             now.Add(-clockSkew).UTC(),
		NotAfter:              notAfter.UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, a.Certificate, key.Public(), a.key)
	if err != nil {
		return nil, fmt.Errorf("sign a serving certificate: %w", err)
	}
	issued := &Issued{}
	if issued.Certificate, err = x509.ParseCertificate(der); err != nil {
		return nil, fmt.Errorf("read back the serving certificate: %w", err)
	}
	if issued.CertificatePEM, err = certutil.EncodeCertificates(issued.Certificate); err != nil {
		return nil, fmt.Errorf("encode the serving certificate: %w", err)
	}
	if issued.KeyPEM, err = keyutil.MarshalPrivateKeyToPEM(key); err != nil {
		return nil, fmt.Errorf("encode the serving key: %w", err)
	}
	return issued, nil
}
