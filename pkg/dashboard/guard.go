package dashboard

import (
	"crypto/subtle"
	"net/http"
)

// TokenHeader carries the CSRF token on every request that is not a GET.
const TokenHeader = "X-Capstan-CSRF"

// refuse says why a request is refused, or "" to let it through. Every
// request must name one of the dashboard's hosts (no DNS rebinding) and,
// when the browser says where it comes from, come from the dashboard's own
// pages; a request that changes anything must also come from the same
// origin and carry the process's CSRF token, which only the dashboard's own
// page can read.
func (s *Server) refuse(r *http.Request) string {
	if !s.hosts[r.Host] {
		return "the dashboard answers only to its own address"
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return "cross-site requests are refused"
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return ""
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return "a request that changes something must say its origin"
	}
	if origin != "http://"+r.Host {
		return "cross-origin requests are refused"
	}
	token := r.Header.Get(TokenHeader)
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) != 1 {
		return "the CSRF token is missing or wrong: reload the page"
	}
	return ""
}

// setSecurityHeaders keeps the dashboard out of frames and other sites'
// pages, and its scripts to its own.
func setSecurityHeaders(header http.Header) {
	header.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	header.Set("X-Frame-Options", "DENY")
	header.Set("X-Content-Type-Options", "nosniff")
	header.Set("Referrer-Policy", "no-referrer")
	header.Set("Cross-Origin-Opener-Policy", "same-origin")
	header.Set("Cross-Origin-Resource-Policy", "same-origin")
}
