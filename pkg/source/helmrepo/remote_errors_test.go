package helmrepo_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/helmrepo"
	"capstan.dev/capstan/pkg/source/remotetest"
)

// registryError answers like a registry, with the remotetest.Marker in its JSON errors.
func registryError(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+remotetest.Marker+`"`)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"errors":[{"code":"DENIED","message":%q,"detail":%q}]}`, remotetest.Marker, remotetest.Marker)
	}
}

func TestRemoteRepliesNeverReachErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		oci     bool
		kind    error
		want    string
	}{
		{"an index 500 body", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, remotetest.Marker, http.StatusInternalServerError)
		}, false, nil, "500"},
		{"an index reason phrase", remotetest.ReasonPhrase(http.StatusServiceUnavailable), false, nil, "503"},
		{"an index 401 reason phrase", remotetest.ReasonPhrase(http.StatusUnauthorized), false, source.ErrAuthentication, "401"},
		{"an index that is not YAML", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "apiVersion: v1\nentries: [%s\n", remotetest.Marker)
		}, false, nil, ""},
		{"an index that is a string", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, remotetest.Marker)
		}, false, nil, ""},
		{"a registry 401 with JSON errors", registryError(http.StatusUnauthorized), true, source.ErrAuthentication, "401"},
		{"a registry 403 with JSON errors", registryError(http.StatusForbidden), true, source.ErrAuthentication, "403"},
		{"a registry 500 with JSON errors", registryError(http.StatusInternalServerError), true, nil, "500"},
		{"a registry reason phrase", remotetest.ReasonPhrase(http.StatusBadGateway), true, nil, "502"},
	} {
		t.Run(tc.name+" is not quoted", func(t *testing.T) {
			server := httptest.NewServer(tc.handler)
			t.Cleanup(server.Close)
			repoURL, creds := server.URL+"/charts", credentials.Credentials{}
			if tc.oci {
				repoURL = "oci://" + strings.TrimPrefix(server.URL, "http://") + "/charts"
				creds = credentials.Credentials{Username: "registry-user", Password: "registry-pass", InsecureOCIForceHTTP: true}
			}
			_, err := newClient(t, helmrepo.Options{}).Fetch(ctx, repoURL, "web", "~1.0", creds, helmrepo.FetchOptions{})
			if err == nil {
				t.Fatal("Fetch succeeded")
			}
			t.Logf("error: %v", err)
			if strings.Contains(err.Error(), remotetest.Marker) {
				t.Errorf("the error quotes the server: %q", err)
			}
			if tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("error = %v, want %v", err, tc.kind)
			}
			if !strings.Contains(err.Error(), strings.TrimPrefix(repoURL, "oci://")) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name the repository and %q", err, tc.want)
			}
		})
	}
	t.Run("a chart archive's 403 body is not quoted", func(t *testing.T) {
		charts := newChartRepo(t, "", "")
		charts.publish(t, "", allVersions)
		server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, ".tgz") {
				http.Error(w, remotetest.Marker, http.StatusForbidden)
				return
			}
			http.Redirect(w, r, charts.URL+r.URL.Path, http.StatusFound)
		}))
		t.Cleanup(server.Close)
		_, err := newClient(t, helmrepo.Options{}).Fetch(ctx, server.URL, "web", "1.2.0", credentials.Credentials{}, helmrepo.FetchOptions{})
		if err == nil || strings.Contains(err.Error(), remotetest.Marker) || !errors.Is(err, source.ErrAuthentication) {
			t.Errorf("error = %v, want an authentication error that does not quote the server", err)
		}
	})
}
