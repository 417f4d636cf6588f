// Package remotetest provides replies of hostile servers, for tests that
// check what of a server's reply reaches Capstan's errors (nothing but the
// status).
package remotetest

import (
	"fmt"
	"net/http"
)

// Marker is the text hostile replies carry; tests assert that no error
// contains it.
const Marker = "MARKER-c0ffee-remote-text"

// ReasonPhrase answers with status code, the Marker as the status line's
// reason phrase and in the body.
func ReasonPhrase(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buffered, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, Marker, code)
			return
		}
		defer func() { _ = conn.Close() }()
		body := Marker + " body"
		fmt.Fprintf(buffered, "HTTP/1.1 %d %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", code, Marker, len(body), body)
		_ = buffered.Flush()
	}
}
