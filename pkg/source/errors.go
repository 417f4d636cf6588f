package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"capstan.dev/capstan/pkg/source/repourl"
)

// Kinds of failure shared by the Git, Helm and OCI clients, checked with
// errors.Is on any error they return, so that callers (the controller's
// conditions) need one set of cases.
var (
	// ErrRevisionNotFound: the revision or chart version names nothing.
	ErrRevisionNotFound = errors.New("revision not found")
	// ErrChartNotFound: the repository has no chart of that name.
	ErrChartNotFound = errors.New("chart not found")
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
	// ErrTooLarge: a download exceeds its size limit.
	ErrTooLarge = errors.New("too large")
)

// Error is a failure of one operation on one repository. Its message names
// the operation, the repository URL without credentials and the revision;
// secrets are scrubbed from the underlying cause's text.
type Error struct {
	// Op is what was being done: "list refs", "fetch", "resolve revision".
	Op string
	// URL is the repository URL, redacted.
	URL string
	// Revision is the revision, commit or chart version concerned, if any.
	Revision string
	// Kind is one of the Err* sentinels, or nil.
	Kind error
	// Err is the underlying cause.
	Err error

	message string
}

// NewError builds an Error. scrub removes secrets from the message (for
// example Credentials.Scrub); nil still redacts userinfo in URLs.
func NewError(op, repoURL, revision string, kind, cause error, scrub func(string) string) *Error {
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
	e.message = repourl.RedactText(b.String())
	if scrub != nil {
		e.message = scrub(e.message)
	}
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

// IsOutage reports whether err says that a repository could not be reached
// or did not answer, rather than that it answered no: a network failure
// (ErrUnreachable), a timeout, or a server-side error status (5xx, 429). The
// same request may succeed later without anything changing on either side,
// so the comparison may hold on to the last revision it resolved (see
// compare.Options.HoldOnOutage). Authentication failures, missing
// repositories, revisions or charts, refused URLs and size limits are not
// outages: they are answers, and holding would hide them.
func IsOutage(err error) bool {
	var sourceErr *Error
	if !errors.As(err, &sourceErr) {
		return false
	}
	for _, kind := range []error{ErrAuthentication, ErrRepositoryNotFound, ErrRevisionNotFound, ErrChartNotFound, ErrURLNotAllowed, ErrOutsideRepository, ErrTooLarge} {
		if errors.Is(err, kind) {
			return false
		}
	}
	if errors.Is(err, ErrUnreachable) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var status *HTTPStatusError
	return errors.As(err, &status) && (status.StatusCode >= 500 || status.StatusCode == http.StatusTooManyRequests)
}
