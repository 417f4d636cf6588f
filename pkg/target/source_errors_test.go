package target

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/remotetest"
)

func TestTargetErrorsShowNeitherServerRepliesNorPasswords(t *testing.T) {
	const password = "hunter2-Pa55word"
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, remotetest.Marker+" internal details", http.StatusInternalServerError)
	}))
	t.Cleanup(server.Close)
	source := newTestSource(t, git.Options{})
	repoURL := strings.Replace(server.URL, "http://", "http://bob:"+password+"@", 1) + "/team/app.git"
	for _, tc := range []struct {
		name   string
		source v1alpha1.ApplicationSource
	}{
		{"a Git source", v1alpha1.ApplicationSource{RepoURL: repoURL, Path: "app", TargetRevision: "main"}},
		{"a Helm source", v1alpha1.ApplicationSource{RepoURL: repoURL, Chart: "web", TargetRevision: "1.0.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{
				Source:      &tc.source,
				Destination: v1alpha1.ApplicationDestination{Namespace: "default"},
			}}
			_, err := source.Target(context.Background(), app, Options{})
			if err == nil {
				t.Fatal("Target succeeded")
			}
			t.Logf("error: %v", err)
			for _, secret := range []string{remotetest.Marker, password} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows %q: %v", secret, err)
				}
			}
			if !strings.Contains(err.Error(), "500") {
				t.Errorf("the error does not give the status: %v", err)
			}
		})
	}
}
