// Package inprocess carries a client's HTTP requests to a server's handler in
// the same process: capstan-apiserver's controllers reach its own API through
// the full handler chain (authentication, authorization, admission, storage)
// without a TLS connection, HTTP/2 framing or the kernel's loopback in between.
package inprocess

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
)

// Transport is an http.RoundTripper that serves each request with Handler in
// a goroutine of its own and streams the response back through a pipe, so
// that watches and other long-running responses work as over a connection.
// Closing a response's body cancels its request's context, as a closed
// connection would.
type Transport struct {
	// Handler serves the requests; a request before it is set fails. Set it
	// before the first request (a server's handler exists only once the
	// server is built, after the clients that will use it).
	Handler http.Handler
}

// errNoHandler is the error of a request sent before Handler is set.
var errNoHandler = errors.New("in-process transport: the server's handler is not set yet")

var _ http.RoundTripper = &Transport{}

// remoteAddr is the peer address the handler sees: the loopback address
// capstan-apiserver's own clients would come from.
const remoteAddr = "127.0.0.1:0"

// RoundTrip serves req with the handler and returns once the handler has
// written its response's header (or returned).
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Handler == nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errNoHandler
	}
	ctx, cancel := context.WithCancel(req.Context())
	served := serverRequest(ctx, req)
	reader, writer := io.Pipe()
	w := newResponseWriter(ctx, writer, cancel)
	go func() {
		defer w.finish(served.Body)
		defer func() {
			if p := recover(); p != nil && p != http.ErrAbortHandler {
				w.fail(fmt.Errorf("in-process handler panicked: %v", p))
			}
		}()
		t.Handler.ServeHTTP(w, served)
	}()
	select {
	case <-w.headerWritten:
	case <-req.Context().Done():
		cancel()
		reader.CloseWithError(req.Context().Err())
		return nil, req.Context().Err()
	}
	resp := &http.Response{
		Status:        fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		Body:          &responseBody{reader: reader, cancel: cancel},
		ContentLength: contentLength(w.sent),
		Request:       req,
	}
	if req.Method == http.MethodHead {
		resp.Body = http.NoBody
		reader.Close()
		cancel()
	}
	return resp, nil
}

// serverRequest is req as a server receives it: a request URI, no scheme or
// host in the URL, a body that is never nil, and ctx as its context.
func serverRequest(ctx context.Context, req *http.Request) *http.Request {
	served := req.Clone(ctx)
	served.URL = &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	served.RequestURI = served.URL.RequestURI()
	served.Host = req.URL.Host
	served.RemoteAddr = remoteAddr
	served.Proto, served.ProtoMajor, served.ProtoMinor = "HTTP/1.1", 1, 1
	if served.Body == nil {
		served.Body = http.NoBody
	}
	return served
}

// contentLength is the Content-Length header's value, or -1 when unknown.
func contentLength(header http.Header) int64 {
	value := header.Get("Content-Length")
	if value == "" {
		return -1
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// responseBody is the client's side of the pipe; closing it ends the
// request as a closed connection would.
type responseBody struct {
	reader *io.PipeReader
	cancel context.CancelFunc
}

func (b *responseBody) Read(p []byte) (int, error) { return b.reader.Read(p) }

func (b *responseBody) Close() error {
	b.cancel()
	return b.reader.Close()
}

// responseWriter is the handler's http.ResponseWriter. It implements
// http.Flusher and http.CloseNotifier, as an HTTP/2 connection's writer does,
// which the API server's response writer wrappers and watches expect.
type responseWriter struct {
	header http.Header
	pipe   *io.PipeWriter
	ctx    context.Context
	cancel context.CancelFunc

	once          sync.Once
	headerWritten chan struct{}
	// status and sent are set once, before headerWritten closes.
	status int
	sent   http.Header
}

var (
	_ http.ResponseWriter = &responseWriter{}
	_ http.Flusher        = &responseWriter{}
	_ http.CloseNotifier  = &responseWriter{} //nolint:staticcheck // the API server's wrappers look for it
)

func newResponseWriter(ctx context.Context, pipe *io.PipeWriter, cancel context.CancelFunc) *responseWriter {
	return &responseWriter{header: http.Header{}, pipe: pipe, ctx: ctx, cancel: cancel,
		headerWritten: make(chan struct{})}
}

// Header returns the header to be sent.
func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader sends the status and the header; only the first call counts.
func (w *responseWriter) WriteHeader(status int) {
	w.once.Do(func() {
		w.status = status
		w.sent = w.header.Clone()
		close(w.headerWritten)
	})
}

// Write sends the header (200 unless written) and then p, blocking until the
// client reads it or closes the body.
func (w *responseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.pipe.Write(p)
}

// Flush sends the header: the body's bytes reach the client as they are
// written.
func (w *responseWriter) Flush() { w.WriteHeader(http.StatusOK) }

// CloseNotify returns a channel that receives true once the request ends:
// the client closed the response's body or its context ended (or the
// handler returned).
func (w *responseWriter) CloseNotify() <-chan bool {
	closed := make(chan bool, 1)
	go func() {
		<-w.ctx.Done()
		closed <- true
	}()
	return closed
}

// fail ends the response with err: the client's next read returns it.
func (w *responseWriter) fail(err error) {
	w.WriteHeader(http.StatusInternalServerError)
	w.pipe.CloseWithError(err)
}

// finish ends the response when the handler returns: the header is sent
// (200 if the handler wrote nothing), the client reads io.EOF after the
// body, and the request's body is closed, as a transport must.
func (w *responseWriter) finish(requestBody io.Closer) {
	w.WriteHeader(http.StatusOK)
	w.pipe.Close()
	w.cancel()
	requestBody.Close()
}
