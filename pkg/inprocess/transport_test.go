package inprocess

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func client(handler http.Handler) *http.Client {
	return &http.Client{Transport: &Transport{Handler: handler}}
}

func TestARequestReachesTheHandlerAsAServerReceivesIt(t *testing.T) {
	var got *http.Request
	var body string
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		read, _ := io.ReadAll(r.Body)
		body = string(read)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "11")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	req, err := http.NewRequest(http.MethodPut, "https://loopback.example:6443/apis/capstan.dev/v1alpha1/namespaces/a%2Fb/applications?fieldManager=x", strings.NewReader(`{"spec":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer token")
	resp, err := client(handler).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	read, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || string(read) != `{"ok":true}` || resp.Header.Get("Content-Type") != "application/json" || resp.ContentLength != 11 {
		t.Errorf("response: %d %q %v length %d, want 201 with the handler's body, header and length", resp.StatusCode, read, resp.Header, resp.ContentLength)
	}
	if got.Method != http.MethodPut || got.URL.Path != "/apis/capstan.dev/v1alpha1/namespaces/a/b/applications" ||
		got.URL.RawQuery != "fieldManager=x" || got.URL.Host != "" || got.RequestURI != "/apis/capstan.dev/v1alpha1/namespaces/a%2Fb/applications?fieldManager=x" {
		t.Errorf("request: %s %q (raw %q, host %q, URI %q), want the method, path and query as a server sees them", got.Method, got.URL.Path, got.URL.RawQuery, got.URL.Host, got.RequestURI)
	}
	if got.Host != "loopback.example:6443" || got.Header.Get("Authorization") != "Bearer token" || body != `{"spec":{}}` || got.RemoteAddr != remoteAddr {
		t.Errorf("request: host %q, authorization %q, body %q, peer %q", got.Host, got.Header.Get("Authorization"), body, got.RemoteAddr)
	}
}

func TestAHandlerThatWritesNothingAnswers200WithAnEmptyBody(t *testing.T) {
	resp, err := client(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).Get("http://server/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	read, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || len(read) != 0 {
		t.Errorf("got %d %q %v, want 200 and an empty body", resp.StatusCode, read, err)
	}
}

func TestAStreamedResponseReachesTheClientAsItIsWritten(t *testing.T) {
	release := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("first\n"))
		w.(http.Flusher).Flush()
		<-release
		_, _ = w.Write([]byte("second\n"))
	})
	resp, err := client(handler).Get("http://server/watch")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	first, err := lines.ReadString('\n')
	if err != nil || first != "first\n" {
		t.Fatalf("first line %q, %v; want it before the handler returns", first, err)
	}
	close(release)
	rest, err := io.ReadAll(lines)
	if err != nil || string(rest) != "second\n" {
		t.Errorf("rest %q, %v; want the second line and the end", rest, err)
	}
}

func TestClosingTheBodyEndsTheHandlersRequest(t *testing.T) {
	ended := make(chan struct{})
	notified := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		closed := w.(http.CloseNotifier).CloseNotify() //nolint:staticcheck // what the API server's wrappers use
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		<-closed
		close(notified)
		close(ended)
	})
	resp, err := client(handler).Get("http://server/watch")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler's request did not end after the client closed the body")
	}
	<-notified
}

func TestACancelledRequestReturnsItsErrorAndEndsTheHandlersRequest(t *testing.T) {
	started := make(chan struct{})
	ended := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		close(ended)
	})
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://server/slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		<-started
		cancel()
	}()
	_, err = client(handler).Do(req)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler's request did not end after the client's was cancelled")
	}
}

func TestAPanickingHandlerFailsTheClientsRead(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("partial"))
		panic("broken handler")
	})
	resp, err := client(handler).Get("http://server/broken")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	if err == nil || !strings.Contains(err.Error(), "broken handler") {
		t.Errorf("reading the body: %v, want the handler's panic", err)
	}
}

func TestARequestBeforeTheHandlerIsSetFails(t *testing.T) {
	_, err := (&http.Client{Transport: &Transport{}}).Get("http://server/")
	if !errors.Is(err, errNoHandler) {
		t.Errorf("got %v, want errNoHandler", err)
	}
}
