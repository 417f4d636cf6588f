package render

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/util/intstr"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func kustomizeFixture() fstest.MapFS {
	return fstest.MapFS{
		"app/kustomization.yaml": {Data: []byte("commonLabels:\n  team: web\ncommonAnnotations:\n  owner: web\nresources:\n  - cm.yaml\n")},
		"app/cm.yaml":            {Data: []byte(configMap("settings"))},
		"plain/cm.yaml":          {Data: []byte(configMap("settings"))},
	}
}

func TestKustomizeOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
		opts v1alpha1.ApplicationSourceKustomize
		want string
		is   error
	}{
		{name: "a label the kustomization already has is refused without forceCommonLabels", path: "app",
			opts: v1alpha1.ApplicationSourceKustomize{CommonLabels: map[string]string{"team": "api"}}, want: "label team already in kustomization file"},
		{name: "an annotation the kustomization already has is refused without forceCommonAnnotations", path: "app",
			opts: v1alpha1.ApplicationSourceKustomize{CommonAnnotations: map[string]string{"owner": "api"}}, want: "annotation owner already in kustomization file"},
		{name: "an invalid label value is refused", path: "app",
			opts: v1alpha1.ApplicationSourceKustomize{CommonLabels: map[string]string{"ok": "not a valid value!"}}, want: "invalid label value"},
		{name: "labelIncludeTemplates needs labelWithoutSelector", path: "app",
			opts: v1alpha1.ApplicationSourceKustomize{CommonLabels: map[string]string{"x": "y"}, LabelIncludeTemplates: true}, want: "--without-selector"},
		{name: "a malformed image override is refused", path: "app",
			opts: v1alpha1.ApplicationSourceKustomize{Images: v1alpha1.KustomizeImages{"justaname"}}, want: "invalid format of image"},
		{name: "a replica count that is not a number is refused", path: "app",
			opts: v1alpha1.ApplicationSourceKustomize{Replicas: v1alpha1.KustomizeReplicas{{Name: "x", Count: intstr.FromString("many")}}}, want: "expected integer value for count"},
		{name: "a missing component is an error unless ignored", path: "app",
			opts: v1alpha1.ApplicationSourceKustomize{Components: []string{"../nowhere"}}, is: ErrNotFound},
		{name: "a component outside the repository is refused", path: "app",
			opts: v1alpha1.ApplicationSourceKustomize{Components: []string{"../../../etc"}}, is: ErrOutsideRepository},
		{name: "options on a kustomize source without a kustomization are refused", path: "plain",
			opts: v1alpha1.ApplicationSourceKustomize{NamePrefix: "x-"}, is: ErrNotFound},
		{name: "an unknown patch option is refused", path: "app",
			opts: v1alpha1.ApplicationSourceKustomize{Patches: v1alpha1.KustomizePatches{{Patch: "[]", Options: map[string]bool{"bogus": true}}}}, want: `unknown option "bogus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			_, err := renderMap(t, kustomizeFixture(), v1alpha1.ApplicationSource{Path: tt.path, Kustomize: &opts}, Options{})
			if err == nil {
				t.Fatal("expected an error")
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

func TestKustomizeDoesNotChangeTheRepository(t *testing.T) {
	files := kustomizeFixture()
	before := string(files["app/kustomization.yaml"].Data)
	opts := v1alpha1.ApplicationSourceKustomize{NamePrefix: "x-", CommonLabels: map[string]string{"team": "api"}, ForceCommonLabels: true}
	result, err := renderMap(t, files, v1alpha1.ApplicationSource{Path: "app", Kustomize: &opts}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(result.Objects), " "); got != "ConfigMap/x-settings" {
		t.Errorf("objects %s", got)
	}
	if result.Objects[0].GetLabels()["team"] != "api" {
		t.Errorf("labels %v", result.Objects[0].GetLabels())
	}
	if string(files["app/kustomization.yaml"].Data) != before {
		t.Error("the repository's kustomization was changed")
	}
}

func TestLooksRemote(t *testing.T) {
	tests := []struct {
		ref  string
		want bool
	}{
		{"../base", false},
		{"deployment.yaml", false},
		{"my.app/base", false},
		{"https://github.com/org/repo//path?ref=v1", true},
		{"http://example.com/file.yaml", true},
		{"github.com/org/repo/path", true},
		{"git@github.com:org/repo.git", true},
		{"ssh://git@example.com/repo.git", true},
		{"git::https://example.com/repo.git", true},
		{"file:///srv/repo.git", true},
		{"config.env=https://example.com/app.env", true},
		{"config.env=local.env", false},
	}
	for _, tt := range tests {
		name := tt.ref + " is local"
		if tt.want {
			name = tt.ref + " is remote"
		}
		t.Run(name, func(t *testing.T) {
			if got := looksRemote(tt.ref); got != tt.want {
				t.Errorf("looksRemote(%q) = %v", tt.ref, got)
			}
		})
	}
}
