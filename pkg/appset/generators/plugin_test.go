package generators

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// errorf is fmt.Errorf for test AuthorizeFuncs.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// pluginConfigMap is the ConfigMap of a plugin served at baseURL whose token
// is the test token Secret's.
func pluginConfigMap(baseURL string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "plugin", Namespace: "team"},
		Data:       map[string]string{"baseUrl": baseURL, "token": "$scm-token:token"},
	}
}

// pluginServer answers Argo CD's plugin protocol with one parameter set per
// input parameter "envs", after checking the path, method and token.
func pluginServer(t *testing.T) *httptest.Server {
	t.Helper()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, request *http.Request) {
		if request.Method != http.MethodPost || request.URL.Path != "/api/v1/getparams.execute" ||
			request.Header.Get("Authorization") != "Bearer "+testToken {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		body, _ := io.ReadAll(request.Body)
		var got struct {
			ApplicationSetName string `json:"applicationSetName"`
			Input              struct {
				Parameters struct {
					Envs []string `json:"envs"`
				} `json:"parameters"`
			} `json:"input"`
		}
		if err := json.Unmarshal(body, &got); err != nil || got.ApplicationSetName != "set" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		out := []map[string]any{}
		for _, env := range got.Input.Parameters.Envs {
			out = append(out, map[string]any{"env": env, "replicas": 2, "meta": map[string]any{"tier": "web"}})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"output": map[string]any{"parameters": out}})
	}))
	t.Cleanup(server.Close)
	return server
}

func TestPluginGenerator(t *testing.T) {
	server := pluginServer(t)
	tests := []struct {
		name string
		spec string
		want []string
	}{
		{
			name: "the flat form flattens the plugin's objects and the input parameters",
			spec: `
generators:
- plugin:
    configMapRef: {name: plugin}
    input: {parameters: {envs: [dev, prod]}}
    values: {app: "web-{{env}}"}`,
			want: []string{
				`{"env":"dev","generator.input.parameters.envs.0":"dev","generator.input.parameters.envs.1":"prod","meta.tier":"web","replicas":"2","values.app":"web-dev"}`,
				`{"env":"prod","generator.input.parameters.envs.0":"dev","generator.input.parameters.envs.1":"prod","meta.tier":"web","replicas":"2","values.app":"web-prod"}`,
			},
		},
		{
			name: "goTemplate keeps the objects as they are with generator.input.parameters",
			spec: `
goTemplate: true
generators:
- plugin:
    configMapRef: {name: plugin}
    input: {parameters: {envs: [dev]}}`,
			want: []string{`{"env":"dev","generator":{"input":{"parameters":{"envs":["dev"]}}},"meta":{"tier":"web"},"replicas":2}`},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			g := New(Sources{Kube: tokenClient(pluginConfigMap(server.URL))})
			appSet := appSetFromYAML(t, test.spec+scmTemplate)
			if got := generate(t, g, appSet); !equalStrings(got, test.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(test.want, "\n"))
			}
		})
	}
}

func TestParsePluginToken(t *testing.T) {
	if secret, key, err := parsePluginToken("$plugin-secret:plugin.token"); err != nil || secret != "plugin-secret" || key != "plugin.token" {
		t.Errorf("got %q %q %v", secret, key, err)
	}
	for _, bad := range []string{"", "plain", "$nokey", "$:key", "$secret:"} {
		if _, _, err := parsePluginToken(bad); err == nil {
			t.Errorf("parsePluginToken(%q) succeeded", bad)
		}
	}
}

func FuzzDecodePluginResponse(f *testing.F) {
	f.Add([]byte(`{"output":{"parameters":[{"a":"b"}]}}`))
	f.Add([]byte(`{"output":{"parameters":[null]}}`))
	f.Add([]byte(`{"output":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		params, err := decodePluginResponse(data)
		if err != nil {
			return
		}
		for _, set := range params {
			if set == nil {
				t.Fatal("a nil parameter set was accepted")
			}
		}
	})
}

func FuzzNextLink(f *testing.F) {
	f.Add(`<https://api.example/orgs/a/repos?page=2>; rel="next", <https://api.example/orgs/a/repos?page=9>; rel="last"`)
	f.Add(`<x>; rel=next`)
	f.Add(`;;,<`)
	f.Fuzz(func(t *testing.T, header string) {
		link := nextLink(header)
		if link != "" && !strings.Contains(header, "<"+link+">") {
			t.Fatalf("nextLink(%q) = %q, which the header does not hold", header, link)
		}
	})
}
