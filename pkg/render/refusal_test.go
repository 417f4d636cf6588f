package render

import (
	"context"
	"errors"
	iofs "io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// billionLaughs is a manifest whose aliases expand to 9^9 strings.
const billionLaughs = `apiVersion: v1
kind: ConfigMap
metadata:
  name: bomb
data:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

func TestRefusals(t *testing.T) {
	repo := os.DirFS("testdata/repo")
	chart := func(helm *v1alpha1.ApplicationSourceHelm) v1alpha1.ApplicationSource {
		return v1alpha1.ApplicationSource{Path: "charts/guestbook", Helm: helm}
	}
	slowChart := fstest.MapFS{
		"slow/Chart.yaml":          {Data: []byte("apiVersion: v2\nname: slow\nversion: 0.1.0\n")},
		"slow/templates/slow.yaml": {Data: []byte("{{- range $i := until 3000000 }}{{- end }}\n")},
	}
	remoteBase := fstest.MapFS{
		"app/kustomization.yaml": {Data: []byte("resources:\n  - ../base\n")},
		"base/kustomization.yaml": {Data: []byte(
			"resources:\n  - https://github.com/kubernetes-sigs/kustomize//examples/multibases?ref=v3.3.1\n")},
	}
	remoteFile := fstest.MapFS{
		"app/kustomization.yaml": {Data: []byte("resources:\n  - https://raw.example.com/manifests/deploy.yaml\n")},
	}
	outsideBase := fstest.MapFS{
		"app/kustomization.yaml": {Data: []byte("resources:\n  - ../../../etc\n")},
	}
	tests := []struct {
		name   string
		repo   iofs.FS
		source v1alpha1.ApplicationSource
		opts   Options
		is     error
		want   string
	}{
		{name: "a source path with .. is refused", repo: repo, source: v1alpha1.ApplicationSource{Path: "charts/../charts/guestbook"}, is: ErrInvalidPath},
		{name: "an absolute source path is refused", repo: repo, source: v1alpha1.ApplicationSource{Path: "/charts/guestbook"}, is: ErrInvalidPath},
		{name: "a value file outside the repository is refused", repo: repo, source: chart(&v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"../../../secrets.yaml"}}), is: ErrOutsideRepository},
		{name: "a value file given as a URL is not fetched", repo: repo, source: chart(&v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"https://example.com/values.yaml"}}), is: ErrRemoteValueFile},
		{name: "a file parameter outside the repository is refused", repo: repo, source: chart(&v1alpha1.ApplicationSourceHelm{FileParameters: []v1alpha1.HelmFileParameter{{Name: "x", Path: "../../../../etc/passwd"}}}), is: ErrOutsideRepository},
		{name: "a missing value file is an error unless ignored", repo: repo, source: chart(&v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"nope.yaml"}}), is: ErrNotFound, want: "nope.yaml"},
		{name: "a kustomize remote base is refused and named", repo: remoteBase, source: v1alpha1.ApplicationSource{Path: "app"}, is: ErrRemoteBase, want: "https://github.com/kubernetes-sigs/kustomize//examples/multibases?ref=v3.3.1"},
		{name: "a kustomize remote file is refused", repo: remoteFile, source: v1alpha1.ApplicationSource{Path: "app"}, is: ErrRemoteBase, want: "raw.example.com"},
		{name: "a kustomize base outside the repository is refused by kustomize", repo: outsideBase, source: v1alpha1.ApplicationSource{Path: "app"}, want: "etc"},
		{name: "output above the size limit is refused", repo: repo, source: chart(nil), opts: Options{MaxManifestBytes: 4096}, is: ErrTooLarge},
		{name: "a render longer than the timeout stops with a timeout error", repo: slowChart, source: v1alpha1.ApplicationSource{Path: "slow"}, opts: Options{Timeout: 20 * time.Millisecond}, is: ErrTimeout},
		{name: "a YAML alias bomb is refused", repo: fstest.MapFS{"bomb/cm.yaml": {Data: []byte(billionLaughs)}}, source: v1alpha1.ApplicationSource{Path: "bomb"}, want: "alias bomb"},
		{name: "an alias bomb in a value file is refused", repo: fstest.MapFS{
			"c/Chart.yaml": {Data: []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n")},
			"c/bomb.yaml":  {Data: []byte(billionLaughs)},
		}, source: v1alpha1.ApplicationSource{Path: "c", Helm: &v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"bomb.yaml"}}}, want: "alias bomb"},
		{name: "a config management plugin is not supported", repo: repo, source: v1alpha1.ApplicationSource{Path: "charts/guestbook", Plugin: &v1alpha1.ApplicationSourcePlugin{Name: "cdk8s"}}, is: ErrPluginUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.source.RepoURL = "https://git.example.com/repo.git"
			_, err := NewRenderer(tt.opts).Render(context.Background(), Request{
				Source: tt.source, Repo: tt.repo, Revision: testRevision, AppName: "guestbook", DestinationNamespace: "web",
			})
			if err == nil {
				t.Fatal("expected an error")
			}
			var renderErr *Error
			if !errors.As(err, &renderErr) {
				t.Errorf("error %T is not a *render.Error", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %q", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestYAMLLibrariesBoundAliasesWithoutOurCheck(t *testing.T) {
	// The pre-check is a second line: the decoder alone must not expand the bomb.
	done := make(chan error, 1)
	go func() {
		_, err := decodeDocuments([]byte(billionLaughs))
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "excessive aliasing") {
			t.Errorf("decoding the bomb returned %v, want the excessive aliasing error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("decoding the bomb did not stop")
	}
}

func TestRefOnlySourceRendersNothing(t *testing.T) {
	result, err := NewRenderer(Options{}).Render(context.Background(), Request{
		Source:          v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/values.git", Ref: "values"},
		Revision:        testRevision,
		MultipleSources: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(result.Objects) != 0 || result.SourceType != "" {
		t.Errorf("a ref-only source rendered %v", result)
	}
}
