package render

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cmp"
	"capstan.dev/capstan/pkg/cmp/cmptest"
)

// envPlugin prints a ConfigMap of the variables a plugin gets.
const envPlugin = `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata: {name: env}
spec:
  generate:
    command: [sh, -c]
    args:
    - |
      cat <<EOF
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: $ARGOCD_APP_NAME
      data:
        namespace: "$ARGOCD_APP_NAMESPACE"
        project: "$ARGOCD_APP_PROJECT_NAME"
        path: "$ARGOCD_APP_SOURCE_PATH"
        kube: "$KUBE_VERSION"
        color: "$ARGOCD_ENV_COLOR"
        greeting: "$PARAM_GREETING"
        sizes: "$PARAM_SIZES_0 $PARAM_SIZES_1"
        tier: "$PARAM_LABELS_TIER"
        parameters: '$ARGOCD_APP_PARAMETERS'
        files: "$(ls)"
      EOF
`

func TestAPluginSourceGetsArgoCDsEnvironmentFromARealRunner(t *testing.T) {
	plugins := cmptest.Serve(t, envPlugin, cmp.DefaultRunnerOptions)
	greeting := "hello"
	source := v1alpha1.ApplicationSource{Path: "apps/web", Plugin: &v1alpha1.ApplicationSourcePlugin{
		Name: "env",
		Env:  v1alpha1.Env{{Name: "COLOR", Value: "$ARGOCD_APP_NAME-blue"}},
		Parameters: v1alpha1.ApplicationSourcePluginParameters{
			{Name: "greeting", String: &greeting},
			{Name: "sizes", OptionalArray: &v1alpha1.OptionalArray{Array: []string{"small", "large"}}},
			{Name: "labels", OptionalMap: &v1alpha1.OptionalMap{Map: map[string]string{"tier": "front"}}},
		},
	}}
	repo := fstest.MapFS{"apps/web/values.txt": {Data: []byte("x")}, "apps/other/secret.txt": {Data: []byte("y")}}
	result, err := renderMap(t, repo, source, Options{Plugins: plugins})
	if err != nil {
		t.Fatal(err)
	}
	if len(result.Objects) != 1 {
		t.Fatalf("objects %v", names(result.Objects))
	}
	data, _, _ := unstructured.NestedStringMap(result.Objects[0].Object, "data")
	want := map[string]string{
		"namespace": "web", "project": "default", "path": "apps/web", "kube": "1.30.0", "color": "guestbook-blue",
		"greeting": "hello", "sizes": "small large", "tier": "front", "files": "values.txt",
	}
	for key, value := range want {
		if data[key] != value {
			t.Errorf("%s = %q, want %q", key, data[key], value)
		}
	}
	if !strings.Contains(data["parameters"], `"name":"greeting","string":"hello"`) {
		t.Errorf("ARGOCD_APP_PARAMETERS = %s", data["parameters"])
	}
}

func TestAPluginsOutputCountsAgainstTheManifestLimit(t *testing.T) {
	plugins := cmptest.Serve(t, envPlugin, cmp.DefaultRunnerOptions)
	source := v1alpha1.ApplicationSource{Path: ".", Plugin: &v1alpha1.ApplicationSourcePlugin{Name: "env"}}
	_, err := renderMap(t, fstest.MapFS{"a.txt": {Data: []byte("x")}}, source, Options{Plugins: plugins, MaxManifestBytes: 64})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("error %v, want ErrTooLarge", err)
	}
}

func TestPluginParametersRunTheDynamicCommandWithGeneratesEnvironment(t *testing.T) {
	plugins := cmptest.Serve(t, `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata: {name: announcer}
spec:
  generate: {command: [sh, -c, 'echo "{}"']}
  parameters:
    static: [{name: greeting, title: Greeting}]
    dynamic:
      command: [sh, -c, 'printf "[{\"name\":\"seen\",\"string\":\"%s %s %s\"}]" "$ARGOCD_ENV_COLOR" "$PARAM_GREETING" "$KUBE_VERSION"']
`, cmp.DefaultRunnerOptions)
	greeting := "hello"
	req := Request{
		Source: v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/repo.git", Path: "apps/web", Plugin: &v1alpha1.ApplicationSourcePlugin{
			Name:       "announcer",
			Env:        v1alpha1.Env{{Name: "COLOR", Value: "$ARGOCD_APP_NAME-blue"}},
			Parameters: v1alpha1.ApplicationSourcePluginParameters{{Name: "greeting", String: &greeting}},
		}},
		Repo:     fstest.MapFS{"apps/web/values.txt": {Data: []byte("x")}, "apps/plain/cm.yaml": {Data: []byte(configMap("a"))}},
		Revision: testRevision, AppName: "guestbook", DestinationNamespace: "web", Project: "default", KubeVersion: "1.30.0",
	}
	renderer := NewRenderer(Options{Plugins: plugins})
	got, err := renderer.Parameters(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := &PluginParameters{Plugin: "announcer", Parameters: []cmp.ParameterAnnouncement{{Name: "seen", String: "guestbook-blue hello 1.30.0"}, {Name: "greeting", Title: "Greeting"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parameters %+v, want %+v", got, want)
	}
	req.Source.Path, req.Source.Plugin = "apps/plain", nil
	if got, err := renderer.Parameters(context.Background(), req); got != nil || err != nil {
		t.Errorf("a directory source: %+v, %v", got, err)
	}
}
