package git

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/repourl"
)

// Kinds of failure, checked with errors.Is on any error this package returns.
var (
	// ErrRevisionNotFound: the revision names no branch, tag or commit.
	ErrRevisionNotFound = errors.New("revision not found")
	// ErrRepositoryNotFound: the server says there is no such repository.
	ErrRepositoryNotFound = errors.New("repository not found")
	// ErrAuthentication: the server refused the credentials (or wants some).
	ErrAuthentication = errors.New("authentication failed")
	// ErrUnreachable: the server could not be reached.
	ErrUnreachable = errors.New("repository unreachable")
	// ErrURLNotAllowed: the URL's scheme is refused (file:// unless allowed).
	ErrURLNotAllowed = errors.New("repository URL not allowed")
	// ErrOutsideRepository: a path or symlink leaves the repository.
	ErrOutsideRepository = errors.New("path outside the repository")
)

// Error is a failure of one operation on one repository. Its message names
// the operation, the repository URL without credentials and the revision;
// every credential value is scrubbed from the underlying cause's text.
type Error struct {
	// Op is what was being done: "list refs", "fetch", "resolve", "read".
	Op string
	// URL is the repository URL, redacted.
	URL string
	// Revision is the revision or commit concerned, if any.
	Revision string
	// Kind is one of the Err* sentinels, or nil.
	Kind error
	// Err is the underlying cause.
	Err error

	message string
}

func newError(op, repoURL, revision string, kind, cause error, creds credentials.Credentials) *Error {
	e := &Error{Op: op, URL: repourl.Redact(repoURL), Revision: revision, Kind: kind, Err: cause}
	var b strings.Builder
	b.WriteString(op)
	if revision != "" {
		fmt.Fprintf(&b, " %q", revision)
	}
	if e.URL != "" {
		b.WriteString(" of " + e.URL)
	}
	var causeText string
	if cause != nil {
		causeText = strings.TrimRight(cause.Error(), ": ")
	}
	if kind != nil && !strings.HasPrefix(causeText, kind.Error()) {
		b.WriteString(": " + kind.Error())
	}
	if causeText != "" {
		b.WriteString(": " + causeText)
	}
	e.message = creds.Scrub(b.String())
	return e
}

// Error returns the scrubbed message.
func (e *Error) Error() string { return e.message }

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// classify maps a transport error to one of the kinds.
func classify(err error) error {
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, transport.ErrAuthenticationRequired),
		errors.Is(err, transport.ErrAuthorizationFailed),
		errors.Is(err, transport.ErrInvalidAuthMethod):
		return ErrAuthentication
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return ErrRepositoryNotFound
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return nil
	case errors.As(err, &opErr), errors.As(err, &dnsErr), errors.As(err, &netErr):
		return ErrUnreachable
	}
	message := err.Error()
	switch {
	case strings.Contains(message, "connection refused"),
		strings.Contains(message, "no such host"),
		strings.Contains(message, "i/o timeout"):
		return ErrUnreachable
	case strings.Contains(message, "does not appear to be a git repository"),
		strings.Contains(message, "repository not found"):
		return ErrRepositoryNotFound
	case strings.Contains(message, "unable to authenticate"),
		strings.Contains(message, "handshake failed"):
		return ErrAuthentication
	}
	return nil
}
