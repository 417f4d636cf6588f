package servingca

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	certutil "k8s.io/client-go/util/cert"
)

// newTestAuthority returns a new authority or fails the test.
func newTestAuthority(t *testing.T) *Authority {
	t.Helper()
	authority, err := NewAuthority()
	if err != nil {
		t.Fatalf("new authority: %v", err)
	}
	return authority
}

// verifyServing checks that certPEM is a serving certificate for name issued by authority at time at.
func verifyServing(authority *Authority, certPEM []byte, name string, at time.Time) error {
	certs, err := certutil.ParseCertsPEM(certPEM)
	if err != nil {
		return err
	}
	if len(certs) != 1 {
		return fmt.Errorf("%d certificates, want one", len(certs))
	}
	cert := certs[0]
	roots := x509.NewCertPool()
	roots.AddCert(authority.Certificate)
	_, err = cert.Verify(x509.VerifyOptions{
		DNSName:     name,
		Roots:       roots,
		CurrentTime: at,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

func TestNewAuthorityLastsTenYears(t *testing.T) {
	authority := newTestAuthority(t)
	lifetime := authority.Certificate.NotAfter.Sub(authority.Certificate.NotBefore)
	if years := lifetime.Hours() / 24 / 365; years < 9.9 || years > 10.1 {
		t.Errorf("the authority is valid for %.1f years, want 10", years)
	}
	if !authority.Certificate.IsCA {
		t.Errorf("the authority's certificate is not a CA")
	}
}

func TestIssue(t *testing.T) {
	authority := newTestAuthority(t)
	now := time.Now()
	dnsNames := []string{"capstan-apiserver.capstan-system.svc", "capstan.example.com"}
	issued, err := authority.Issue(dnsNames, []net.IP{net.ParseIP("127.0.0.1")}, now)
	if err != nil {
		t.Fatalf("issue: %v", err)
	}

	t.Run("the certificate verifies against the authority for every DNS name and IP", func(t *testing.T) {
		for _, name := range append(dnsNames, "127.0.0.1") {
			if err := verifyServing(authority, issued.CertificatePEM, name, now); err != nil {
				t.Errorf("verify for %s: %v", name, err)
			}
		}
	})
	t.Run("the certificate does not verify for another name", func(t *testing.T) {
		if err := verifyServing(authority, issued.CertificatePEM, "other.capstan-system.svc", now); err == nil {
			t.Errorf("verified for a name it was not issued for")
		}
	})
	t.Run("the certificate does not verify against another authority", func(t *testing.T) {
		if err := verifyServing(newTestAuthority(t), issued.CertificatePEM, dnsNames[0], now); err == nil {
			t.Errorf("verified against an authority that did not issue it")
		}
	})
	t.Run("the key is the certificate's", func(t *testing.T) {
		if _, err := tls.X509KeyPair(issued.CertificatePEM, issued.KeyPEM); err != nil {
			t.Errorf("certificate and key do not pair: %v", err)
		}
	})
	t.Run("the certificate lasts a year and is valid a little before now", func(t *testing.T) {
		if got := issued.Certificate.NotAfter.Sub(now); got < 364*24*time.Hour || got > 366*24*time.Hour {
			t.Errorf("valid for %s after now, want a year", got)
		}
		if !issued.Certificate.NotBefore.Before(now) {
			t.Errorf("not valid before %s, want before now (%s)", issued.Certificate.NotBefore, now)
		}
	})
	t.Run("a certificate issued near the authority's end ends with it", func(t *testing.T) {
		late := authority.Certificate.NotAfter.Add(-24 * time.Hour)
		issued, err := authority.Issue(dnsNames, nil, late)
		if err != nil {
			t.Fatalf("issue: %v", err)
		}
		if !issued.Certificate.NotAfter.Equal(authority.Certificate.NotAfter) {
			t.Errorf("ends %s, want the authority's end %s", issued.Certificate.NotAfter, authority.Certificate.NotAfter)
		}
	})
	t.Run("an expired authority issues nothing and says so", func(t *testing.T) {
		_, err := authority.Issue(dnsNames, nil, authority.Certificate.NotAfter.Add(time.Hour))
		if err == nil || !strings.Contains(err.Error(), "expired") {
			t.Errorf("want an error saying the authority expired, got %v", err)
		}
	})
	t.Run("a certificate without a DNS name is refused", func(t *testing.T) {
		if _, err := authority.Issue(nil, nil, now); err == nil {
			t.Errorf("issued a certificate without a DNS name")
		}
	})
}

func TestParseAuthority(t *testing.T) {
	authority := newTestAuthority(t)
	other := newTestAuthority(t)
	now := time.Now()
	serving, err := authority.Issue([]string{"capstan-apiserver.capstan-system.svc"}, nil, now)
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	tests := []struct {
		name    string
		certPEM []byte
		keyPEM  []byte
		now     time.Time
		// wantErr are substrings of the error; none means the authority is usable.
		wantErr []string
	}{
		{name: "a stored authority reads back",
			certPEM: authority.CertificatePEM, keyPEM: authority.keyPEM, now: now},
		{name: "a missing certificate is refused naming ca.crt",
			keyPEM: authority.keyPEM, now: now, wantErr: []string{"ca.crt", "missing"}},
		{name: "a missing key is refused naming ca.key",
			certPEM: authority.CertificatePEM, now: now, wantErr: []string{"ca.key", "missing"}},
		{name: "a certificate that is not PEM is refused naming ca.crt",
			certPEM: []byte("not a certificate"), keyPEM: authority.keyPEM, now: now, wantErr: []string{"ca.crt"}},
		{name: "a key that is not PEM is refused naming ca.key",
			certPEM: authority.CertificatePEM, keyPEM: []byte("not a key"), now: now, wantErr: []string{"ca.key"}},
		{name: "two certificates are refused naming ca.crt",
			certPEM: append(append([]byte{}, authority.CertificatePEM...), other.CertificatePEM...), keyPEM: authority.keyPEM,
			now: now, wantErr: []string{"ca.crt", "2 certificates"}},
		{name: "another authority's key is refused naming ca.key",
			certPEM: authority.CertificatePEM, keyPEM: other.keyPEM, now: now,
			wantErr: []string{"ca.key", "not the private key"}},
		{name: "a certificate that is not a CA is refused naming ca.crt",
			certPEM: serving.CertificatePEM, keyPEM: serving.KeyPEM, now: now,
			wantErr: []string{"ca.crt", "not a certificate authority"}},
		{name: "an expired authority is refused saying when it was valid",
			certPEM: authority.CertificatePEM, keyPEM: authority.keyPEM, now: authority.Certificate.NotAfter.Add(time.Hour),
			wantErr: []string{"ca.crt", "not now"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parsed, err := ParseAuthority(tt.certPEM, tt.keyPEM, tt.now)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				if !parsed.Certificate.Equal(authority.Certificate) {
					t.Errorf("read back another certificate")
				}
				return
			}
			if err == nil {
				t.Fatalf("parse succeeded, want an error naming %v", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "BEGIN") || strings.Contains(err.Error(), "not a key") {
				t.Errorf("error %q repeats the Secret's content", err)
			}
		})
	}
}
