package render

import (
	"errors"
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
