package cluster

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
)

// networkFailures watches a cluster's requests for failures below HTTP: the
// destination refused or dropped a connection, or did not answer in time.
type networkFailures struct {
	failed func()
}

func (n *networkFailures) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(request *http.Request) (*http.Response, error) {
		response, err := next.RoundTrip(request)
		if err != nil && n.failed != nil && networkError(request.Context(), err) {
			n.failed()
		}
		return response, err
	})
}

// networkError tells whether err is the network failing, not the caller
// giving up (a canceled context is no news of the cluster).
func networkError(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return false
	}
	var netErr net.Error
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(request *http.Request) (*http.Response, error) { return f(request) }
