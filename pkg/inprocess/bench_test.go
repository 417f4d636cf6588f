package inprocess

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkRoundTrip compares a request with a 7 KiB body and response (an
// Application's status write) through the in-process transport with the
// same request over a TLS connection with HTTP/2, capstan-apiserver's
// loopback connection before (the reference, measured in the same run).
func BenchmarkRoundTrip(b *testing.B) {
	payload := []byte(strings.Repeat(`{"kind":"Application","status":{}}`, 7*1024/34))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
	})
	var reference time.Duration
	run := func(b *testing.B, client *http.Client, url string) time.Duration {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := client.Post(url, "application/json", bytes.NewReader(payload))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
		return b.Elapsed() / time.Duration(b.N)
	}
	b.Run("reference=tls-http2", func(b *testing.B) {
		server := httptest.NewUnstartedServer(handler)
		server.EnableHTTP2 = true
		server.StartTLS()
		defer server.Close()
		reference = run(b, server.Client(), server.URL+"/apis/capstan.dev/v1alpha1/namespaces/default/applications/app/status")
	})
	b.Run("in-process", func(b *testing.B) {
		perOp := run(b, client(handler), "https://loopback/apis/capstan.dev/v1alpha1/namespaces/default/applications/app/status")
		if reference > 0 {
			b.ReportMetric(float64(perOp)/float64(reference), "x-time-of-tls-http2")
		}
	})
}
