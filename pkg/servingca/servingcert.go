package servingca

import (
	"net"
	"sync"
	"time"

	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/klog/v2"
)

// ServingCert is the serving certificate issued by an Authority, kept in
// memory only. The generic API server asks for it every minute; past two
// thirds of its validity it is replaced by a new one, so a server that runs
// for more than a year never serves an expired certificate while its
// authority is valid.
type ServingCert struct {
	authority *Authority
	dnsNames  []string
	ips       []net.IP
	now       func() time.Time

	mu      sync.Mutex
	current *Issued
	renewAt time.Time
}

var _ dynamiccertificates.CertKeyContentProvider = &ServingCert{}

// NewServingCert issues a first serving certificate for dnsNames and ips.
func NewServingCert(authority *Authority, dnsNames []string, ips []net.IP) (*ServingCert, error) {
	return newServingCert(authority, dnsNames, ips, time.Now)
}

func newServingCert(authority *Authority, dnsNames []string, ips []net.IP, now func() time.Time) (*ServingCert, error) {
	c := &ServingCert{authority: authority, dnsNames: dnsNames, ips: ips, now: now}
	if err := c.renew(); err != nil {
		return nil, err
	}
	return c, nil
}

// Name identifies the certificate in the generic API server's logs.
func (c *ServingCert) Name() string {
	return "serving certificate issued by " + c.authority.Certificate.Subject.CommonName
}

// AddListener does nothing: the generic API server asks for the content every
// minute, which is often enough for a certificate renewed months ahead.
func (c *ServingCert) AddListener(dynamiccertificates.Listener) {}

// CurrentCertKeyContent returns the PEM certificate and key, issuing new ones
// when the current ones are due for renewal. If that fails, the current ones
// stay in use and the next call tries again.
func (c *ServingCert) CurrentCertKeyContent() ([]byte, []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.now().Before(c.renewAt) {
		if err := c.renewLocked(); err != nil {
			klog.ErrorS(err, "Could not renew the serving certificate; serving the current one",
				"notAfter", c.current.Certificate.NotAfter)
		}
	}
	return c.current.CertificatePEM, c.current.KeyPEM
}

func (c *ServingCert) renew() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.renewLocked()
}

func (c *ServingCert) renewLocked() error {
	issued, err := c.authority.Issue(c.dnsNames, c.ips, c.now())
	if err != nil {
		return err
	}
	notBefore, notAfter := issued.Certificate.NotBefore, issued.Certificate.NotAfter
	c.current = issued
	c.renewAt = notBefore.Add(notAfter.Sub(notBefore) * 2 / 3)
	return nil
}
