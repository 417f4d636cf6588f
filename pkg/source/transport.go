package source

import (
	"io"
	"net/http"
	"strconv"

	"capstan.dev/capstan/pkg/source/repourl"
)

// maxDrainBytes is how much of an unwanted body is read so that the
// connection can be reused; a longer body closes it.
const maxDrainBytes = 64 << 10

// BoundedTransport wraps the transport of a Git or Helm client so that what a
// server sends reaches neither memory unbounded nor messages:
//   - the reason phrase of every status line is replaced by the standard one;
//   - the body of an error status (400 and above) is discarded: with
//     statusErrors, the round trip fails with an HTTPStatusError instead
//     (for clients, like go-git, that would quote the body); without, the
//     response comes back with an empty body (for clients, like the OCI
//     registry client, that read the status and headers to authenticate);
//   - a successful body longer than limit(request) bytes fails with a
//     TooLargeError, when the Content-Length announces it or when the read
//     gets there.
func BoundedTransport(next http.RoundTripper, statusErrors bool, limit func(*http.Request) int64) http.RoundTripper {
	return &boundedTransport{next: next, statusErrors: statusErrors, limit: limit}
}

type boundedTransport struct {
	next         http.RoundTripper
	statusErrors bool
	limit        func(*http.Request) int64
}

func (t *boundedTransport) RoundTrip(request *http.Request) (*http.Response, error) {
	response, err := t.next.RoundTrip(request)
	if err != nil {
		return nil, err
	}
	response.Status = strconv.Itoa(response.StatusCode) + " " + http.StatusText(response.StatusCode)
	if response.StatusCode >= http.StatusBadRequest {
		discard(response.Body)
		if t.statusErrors {
			return nil, NewHTTPStatusError(request, response.StatusCode)
		}
		response.Body = http.NoBody
		response.ContentLength = 0
		return response, nil
	}
	limit := t.limit(request)
	tooLarge := &TooLargeError{What: "the response to " + request.Method + " " + repourl.Redact(request.URL.String()), Limit: limit}
	if response.ContentLength > limit {
		discard(response.Body)
		return nil, tooLarge
	}
	response.Body = &limitedBody{body: response.Body, limit: limit, tooLarge: tooLarge}
	return response, nil
}

// discard drains a little of an unwanted body and closes it.
func discard(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrainBytes))
	_ = body.Close()
}

// limitedBody fails with tooLarge once more than limit bytes would be read.
type limitedBody struct {
	body     io.ReadCloser
	limit    int64
	read     int64
	tooLarge error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.read >= b.limit {
		// At the limit: one more byte means too large, EOF means exactly right.
		var probe [1]byte
		n, err := b.body.Read(probe[:])
		if n > 0 {
			return 0, b.tooLarge
		}
		return 0, err
	}
	if remaining := b.limit - b.read; int64(len(p)) > remaining {
		p = p[:remaining]
	}
	n, err := b.body.Read(p)
	b.read += int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.body.Close() }
