package cmp_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"capstan.dev/capstan/pkg/cmp"
	"capstan.dev/capstan/pkg/cmp/cmptest"
)

var tree = fstest.MapFS{
	"apps/web/plugin.marker": {Data: []byte("x")},
	"apps/web/config.txt":    {Data: []byte("replicas: 2\n")},
	"apps/other/readme.md":   {Data: []byte("nothing\n")},
}

const echoPlugin = `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata: {name: echo}
spec:
  version: v1
  init:
    command: [sh, -c, 'echo initialized > init.out']
  generate:
    command: [sh, -c]
    args:
    - |
      set -e
      echo written > generated.txt
      cat <<EOF
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: $ARGOCD_APP_NAME
      data:
        greeting: "$PARAM_GREETING"
        env: "$ARGOCD_ENV_COLOR"
        init: "$(cat init.out)"
        secret: "${CAPSTAN_TEST_SECRET:-absent}"
        home: "$HOME"
      EOF
  discover:
    fileName: "plugin.marker"
`

func TestGenerateRunsInAWritableCopyWithTheContractEnvironmentOnly(t *testing.T) {
	t.Setenv("CAPSTAN_TEST_SECRET", "hunter2")
	plugins := cmptest.Serve(t, echoPlugin, cmp.DefaultRunnerOptions)
	env := map[string]string{"ARGOCD_APP_NAME": "web", "PARAM_GREETING": "hello", "ARGOCD_ENV_COLOR": "blue"}
	out, err := plugins.Generate(context.Background(), tree, "echo-v1", cmp.RenderRequest{AppPath: "apps/web", Env: env})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"name: web", `greeting: "hello"`, `env: "blue"`, `init: "initialized"`, `secret: "absent"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	home := strings.Trim(strings.TrimSpace(strings.SplitN(string(out), "home: ", 2)[1]), `"`)
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Errorf("the temporary copy %s is still there: %v", home, err)
	}
	t.Run("discovery by file name finds it without a name", func(t *testing.T) {
		if _, err := plugins.Generate(context.Background(), tree, "", cmp.RenderRequest{AppPath: "apps/web", Env: env}); err != nil {
			t.Error(err)
		}
		if _, err := plugins.Generate(context.Background(), tree, "", cmp.RenderRequest{AppPath: "apps/other", Env: env}); err == nil || !strings.Contains(err.Error(), "no config management plugin discovers") {
			t.Errorf("a source no plugin discovers: %v", err)
		}
	})
	t.Run("an unknown name", func(t *testing.T) {
		if _, err := plugins.Generate(context.Background(), tree, "helmfile", cmp.RenderRequest{AppPath: "apps/web"}); err == nil || !strings.Contains(err.Error(), `named "helmfile"`) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("an app path outside the tree", func(t *testing.T) {
		if _, err := plugins.Generate(context.Background(), tree, "echo-v1", cmp.RenderRequest{AppPath: "../../etc"}); err == nil {
			t.Error("no error")
		}
	})
}

func TestRunnerLimits(t *testing.T) {
	opts := cmp.DefaultRunnerOptions
	opts.Timeout = 500 * time.Millisecond
	opts.MaxOutputBytes = 1 << 16
	tests := []struct{ name, command, want string }{
		{"a plugin that never exits is stopped at its deadline", `sleep 60`, "generate did not finish within 500ms"},
		{"a child process that never exits is stopped too", `sleep 60 & wait`, "generate did not finish within 500ms"},
		{"a huge output is cut off", `yes`, "generate printed more than 65536 bytes"},
		{"a failing plugin says why", `echo "no helmfile.yaml" >&2; exit 3`, "generate failed (exit status 3): no helmfile.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata: {name: limited}\nspec:\n  generate:\n    command: [sh, -c, '" + tt.command + "']\n"
			plugins := cmptest.Serve(t, spec, opts)
			_, err := plugins.Generate(context.Background(), tree, "limited", cmp.RenderRequest{AppPath: "."})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDiscoveryByCommand(t *testing.T) {
	plugins := cmptest.Serve(t, `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata: {name: finder}
spec:
  generate: {command: [sh, -c, 'echo "{}"']}
  discover:
    find:
      command: [sh, -c, 'ls config.txt 2>/dev/null']
`, cmp.DefaultRunnerOptions)
	if _, err := plugins.Generate(context.Background(), tree, "", cmp.RenderRequest{AppPath: "apps/web"}); err != nil {
		t.Errorf("a matching source: %v", err)
	}
	if _, err := plugins.Generate(context.Background(), tree, "", cmp.RenderRequest{AppPath: "apps/other"}); err == nil {
		t.Error("a source the command does not match was rendered")
	}
}

func TestDiscoveryByGlobMatchesAnyDepthAsArgoCDs(t *testing.T) {
	plugins := cmptest.Serve(t, `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata: {name: globber}
spec:
  generate: {command: [sh, -c, 'echo "{}"']}
  discover:
    find:
      glob: "**/config.txt"
`, cmp.DefaultRunnerOptions)
	for appPath, want := range map[string]bool{"apps": true, "apps/web": true, "apps/other": false} {
		_, err := plugins.Generate(context.Background(), tree, "", cmp.RenderRequest{AppPath: appPath})
		if got := err == nil; got != want {
			t.Errorf("source %s: rendered %v (%v), want %v", appPath, got, err, want)
		}
	}
}

func TestArgoCDsPluginFilesAreAcceptedAsTheyAre(t *testing.T) {
	plugin, err := cmp.ParsePlugin([]byte(`apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: helmfile
spec:
  version: v1.0
  init:
    command: [sh, -c]
    args: [helmfile deps]
  generate:
    command: [sh, -c]
    args: [helmfile template --quiet]
  discover:
    find:
      glob: "**/helmfile.yaml"
  parameters:
    static:
    - name: values-files
      title: Values files
      collectionType: array
      array: [values.yaml]
    dynamic:
      command: [sh, -c, 'echo "[]"']
  preserveFileMode: true
  provideGitCreds: false
`))
	if err != nil {
		t.Fatal(err)
	}
	if plugin.Name() != "helmfile-v1.0" {
		t.Errorf("name %q, want helmfile-v1.0", plugin.Name())
	}
}

func TestInvalidPluginsAreRefusedWithTheField(t *testing.T) {
	for spec, want := range map[string]string{
		"kind: ConfigManagementPlugin\nmetadata: {name: x}\nspec: {}\n":                                     "spec.generate.command is required",
		"kind: Plugin\nmetadata: {name: x}\nspec: {generate: {command: [a]}}\n":                             `kind is "Plugin"`,
		"kind: ConfigManagementPlugin\nmetadata: {name: X_Y}\nspec: {generate: {command: [a]}}\n":           "metadata.name",
		"kind: ConfigManagementPlugin\nmetadata: {name: x}\nspec: {generate: {command: [a]}, unknown: 1}\n": "unknown",
	} {
		if _, err := cmp.ParsePlugin([]byte(spec)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", spec, err, want)
		}
	}
}
