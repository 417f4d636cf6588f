package source

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"syscall"

	"golang.org/x/crypto/ssh/knownhosts"

	"capstan.dev/capstan/pkg/source/repourl"
)

// HTTPStatusError is an error status answered by a server. Its text is
// Capstan's own: the status code, its standard text and the redacted URL,
// never the server's reason phrase or body, which may hold anything (stack
// traces, internal host names, text aimed at whoever reads the Application's
// conditions).
type HTTPStatusError struct {
	// Method and URL are the request's; URL is redacted.
	Method string
	URL    string
	// StatusCode is the HTTP status code.
	StatusCode int
}

// NewHTTPStatusError describes the error status of a response to request.
func NewHTTPStatusError(request *http.Request, statusCode int) *HTTPStatusError {
	return &HTTPStatusError{Method: request.Method, URL: repourl.Redact(request.URL.String()), StatusCode: statusCode}
}

// CredentialError is a failure to obtain the credentials a request needs (a
// GitHub App's installation token), in Capstan's own words: its text is kept
// in messages, and errors.Is sees its Kind (ErrAuthentication or
// ErrUnreachable).
type CredentialError struct {
	Message string
	Kind    error
}

func (e *CredentialError) Error() string { return e.Message }

// Unwrap returns the kind of failure.
func (e *CredentialError) Unwrap() error { return e.Kind }

func (e *HTTPStatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s from %s %s", e.StatusCode, http.StatusText(e.StatusCode), e.Method, e.URL)
}

// Is makes 401 and 403 ErrAuthentication and 404 ErrRepositoryNotFound.
func (e *HTTPStatusError) Is(target error) bool {
	switch e.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return target == ErrAuthentication
	case http.StatusNotFound:
		return target == ErrRepositoryNotFound
	}
	return false
}

// TooLargeError is a read that went past its limit. Reads are never
// truncated silently: past the limit, they fail with this error.
type TooLargeError struct {
	// What names what was read: "file app/values.yaml", "response of GET URL".
	What string
	// Limit is the number of bytes allowed.
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than the limit of %d bytes", e.What, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// errServerReply stands for whatever a server said that cannot be shown.
var errServerReply = errors.New("the server's reply could not be used (its text is not repeated)")

// errTimedOut stands for a timeout of the HTTP client, whose error text
// quotes the request.
var errTimedOut = errors.New("timed out")

// HideServerText returns err fit for a message, given an error returned by a
// transport library after talking to a server: only the parts Capstan can
// vouch for are kept (an HTTP status, a size limit, a cancellation, a
// network, TLS, SSH host key or local file error), because any other text may
// be the server's own (a response body, a Git ERR packet or side-band
// message, a malformed line quoted back). It returns nil when nothing can be
// kept but kindKnown says the kind of failure already tells the story, and a
// fixed phrase otherwise. Classify err before hiding: the result keeps only
// what it shows.
func HideServerText(err error, kindKnown bool) error {
	if err == nil {
		return nil
	}
	if kept := vouchedFor(err); kept != nil {
		return kept
	}
	if kindKnown {
		return nil
	}
	return errServerReply
}

// vouchedFor finds the first error in err's tree whose text comes from
// Capstan, the Go runtime or the local system rather than from the server.
func vouchedFor(err error) error {
	var status *HTTPStatusError
	var credential *CredentialError
	var tooLarge *TooLargeError
	var keyError *knownhosts.KeyError
	var revoked *knownhosts.RevokedError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verification *tls.CertificateVerificationError
	var alert tls.AlertError
	var dns *net.DNSError
	var op *net.OpError
	var path *fs.PathError
	var errno syscall.Errno
	var netErr net.Error
	switch {
	case errors.As(err, &credential):
		return credential
	case errors.As(err, &status):
		return status
	case errors.As(err, &tooLarge):
		return tooLarge
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	case errors.As(err, &keyError):
		return keyError
	case errors.As(err, &revoked):
		return revoked
	case errors.As(err, &verification):
		return verification
	case errors.As(err, &unknownAuthority):
		return unknownAuthority
	case errors.As(err, &hostname):
		return hostname
	case errors.As(err, &invalid):
		return invalid
	case errors.As(err, &alert):
		return alert
	case errors.As(err, &dns):
		return dns
	case errors.As(err, &op):
		return op
	case errors.As(err, &path):
		return path
	case errors.As(err, &errno):
		return errno
	case errors.As(err, &netErr) && netErr.Timeout():
		return errTimedOut
	}
	return nil
}
