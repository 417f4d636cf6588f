package git

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/credentials"
)

// Kinds of failure, checked with errors.Is; they are the shared kinds of
// package source.
var (
	// ErrRevisionNotFound: the revision names no branch, tag or commit.
	ErrRevisionNotFound = source.ErrRevisionNotFound
	// ErrRepositoryNotFound: the server says there is no such repository.
	ErrRepositoryNotFound = source.ErrRepositoryNotFound
	// ErrAuthentication: the server refused the credentials (or wants some).
	ErrAuthentication = source.ErrAuthentication
	// ErrUnreachable: the server could not be reached.
	ErrUnreachable = source.ErrUnreachable
	// ErrURLNotAllowed: the URL's scheme is refused (file:// unless allowed).
	ErrURLNotAllowed = source.ErrURLNotAllowed
	// ErrOutsideRepository: a path or symlink leaves the repository.
	ErrOutsideRepository = source.ErrOutsideRepository
	// ErrTooLarge: a file or a server's response exceeds its size limit.
	ErrTooLarge = source.ErrTooLarge
)

func newError(op, repoURL, revision string, kind, cause error, creds credentials.Credentials) error {
	return source.NewError(op, repoURL, revision, kind, cause, creds.Scrub)
}

// remoteError reports a failure of an exchange with the server: its kind,
// and of its text only what Capstan can vouch for (source.HideServerText).
func remoteError(op, repoURL, revision string, err error, creds credentials.Credentials) error {
	err = openErrors(err)
	kind := classify(err)
	return newError(op, repoURL, revision, kind, hideServerText(err, kind != nil), creds)
}

// hideServerText is source.HideServerText over go-git's opaque wrappers.
func hideServerText(err error, kindKnown bool) error {
	return source.HideServerText(openErrors(err), kindKnown)
}

// openErrors makes the causes that go-git wraps without Unwrap (its
// UnexpectedError and PermanentError) visible to errors.Is and errors.As.
func openErrors(err error) error {
	var unexpected *plumbing.UnexpectedError
	if errors.As(err, &unexpected) && unexpected.Err != nil {
		err = errors.Join(err, unexpected.Err)
	}
	var permanent *plumbing.PermanentError
	if errors.As(err, &permanent) && permanent.Err != nil {
		err = errors.Join(err, permanent.Err)
	}
	return err
}

// classify maps a transport error to one of the kinds.
func classify(err error) error {
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var status *source.HTTPStatusError
	for _, kind := range []error{ErrAuthentication, ErrRepositoryNotFound, ErrTooLarge, ErrUnreachable} {
		if errors.Is(err, kind) {
			return kind
		}
	}
	switch {
	case errors.As(err, &status):
		return nil // an error status of another kind: the server was reached
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
	message := strings.ToLower(err.Error())
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
