package git_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
	"capstan.dev/capstan/pkg/source/remotetest"
)

// pktLine frames a Git protocol packet.
func pktLine(payload string) string { return fmt.Sprintf("%04x%s", len(payload)+4, payload) }

func TestRemoteRepliesNeverReachErrors(t *testing.T) {
	advertisement := func(payload string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
			fmt.Fprint(w, payload)
		}
	}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		kind    error
		want    string
	}{
		{"a 500 body", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, remotetest.Marker+" stack trace, internal hostnames", http.StatusInternalServerError)
		}, nil, "500"},
		{"a 401 body", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, remotetest.Marker, http.StatusUnauthorized)
		}, git.ErrAuthentication, "401"},
		{"a 403 body", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, remotetest.Marker, http.StatusForbidden)
		}, git.ErrAuthentication, "403"},
		{"a 404 body", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, remotetest.Marker, http.StatusNotFound)
		}, git.ErrRepositoryNotFound, "404"},
		{"a reason phrase", remotetest.ReasonPhrase(http.StatusBadGateway), nil, "502"},
		{"an ERR packet", advertisement(pktLine("# service=git-upload-pack\n") + "0000" + pktLine("ERR "+remotetest.Marker+"\n")), nil, ""},
		{"an ERR packet saying the repository is missing",
			advertisement(pktLine("ERR Repository not found. " + remotetest.Marker + "\n")), git.ErrRepositoryNotFound, ""},
		{"an advertisement that is not one", advertisement(pktLine("# service=git-upload-pack\n") + "0000" + pktLine(remotetest.Marker+"\n")), nil, ""},
	} {
		t.Run(tc.name+" is not quoted", func(t *testing.T) {
			server := httptest.NewServer(tc.handler)
			t.Cleanup(server.Close)
			repoURL := server.URL + "/team/app.git"
			_, err := newCache(t, git.Options{}).Resolve(context.Background(), repoURL, "main", credentials.Credentials{})
			if err == nil {
				t.Fatal("Resolve succeeded")
			}
			t.Logf("error: %v", err)
			if strings.Contains(err.Error(), remotetest.Marker) {
				t.Errorf("the error quotes the server: %q", err)
			}
			if tc.kind != nil {
				mustBe(t, err, tc.kind)
			}
			if !strings.Contains(err.Error(), repoURL) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name the repository and %q", err, tc.want)
			}
		})
	}
	t.Run("an error on the pack's side band is not quoted", func(t *testing.T) {
		f := newFixture(t, gittest.ServerOptions{})
		upstream, err := url.Parse(f.server.URL)
		if err != nil {
			t.Fatal(err)
		}
		proxy := httputil.NewSingleHostReverseProxy(upstream)
		server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
				proxy.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
			out := bufio.NewWriter(w)
			fmt.Fprint(out, pktLine("NAK\n")+pktLine("\x03"+remotetest.Marker+"\n")+"0000")
			_ = out.Flush()
		}))
		t.Cleanup(server.Close)
		_, _, err = newCache(t, git.Options{}).Open(context.Background(), server.URL+"/app.git", "main", credentials.Credentials{})
		if err == nil || strings.Contains(err.Error(), remotetest.Marker) {
			t.Errorf("error = %v, want one that does not quote the server", err)
		}
	})
}
