package servingca

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// testClock is a clock the test moves.
type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time { return c.now }

func TestServingCert(t *testing.T) {
	authority := newTestAuthority(t)
	const name = "capstan-apiserver.capstan-system.svc"
	clock := &testClock{now: time.Now()}
	servingCert, err := newServingCert(authority, []string{name}, []net.IP{net.ParseIP("127.0.0.1")}, clock.Now)
	if err != nil {
		t.Fatalf("new serving certificate: %v", err)
	}
	first, firstKey := servingCert.CurrentCertKeyContent()

	t.Run("the first certificate verifies against the authority", func(t *testing.T) {
		if err := verifyServing(authority, first, name, clock.now); err != nil {
			t.Errorf("verify: %v", err)
		}
	})
	t.Run("the certificate is kept for the first two thirds of its validity", func(t *testing.T) {
		clock.now = clock.now.Add(200 * 24 * time.Hour)
		cert, key := servingCert.CurrentCertKeyContent()
		if !bytes.Equal(cert, first) || !bytes.Equal(key, firstKey) {
			t.Errorf("renewed after 200 days")
		}
	})
	t.Run("past two thirds of its validity a new certificate is issued", func(t *testing.T) {
		clock.now = clock.now.Add(50 * 24 * time.Hour)
		cert, key := servingCert.CurrentCertKeyContent()
		if bytes.Equal(cert, first) || bytes.Equal(key, firstKey) {
			t.Fatalf("not renewed after 250 days")
		}
		if err := verifyServing(authority, cert, name, clock.now.Add(300*24*time.Hour)); err != nil {
			t.Errorf("the renewed certificate does not verify a year after the first: %v", err)
		}
	})
	t.Run("when renewal fails the current certificate stays", func(t *testing.T) {
		current, _ := servingCert.CurrentCertKeyContent()
		clock.now = authority.Certificate.NotAfter.Add(time.Hour)
		if cert, _ := servingCert.CurrentCertKeyContent(); !bytes.Equal(cert, current) {
			t.Errorf("the certificate changed although its expired authority cannot issue")
		}
	})
}
