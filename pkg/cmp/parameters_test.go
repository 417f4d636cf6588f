package cmp_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"capstan.dev/capstan/pkg/cmp"
	"capstan.dev/capstan/pkg/cmp/cmptest"
)

// announcingPlugin announces "greeting" and "replicas" statically; its
// dynamic command announces "greeting" again (overridden by the static one)
// and "color", whose default comes from the Application's plugin.env and
// whose tooltip from a file of the source, as generate would see them.
const announcingPlugin = `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata: {name: announcer}
spec:
  generate: {command: [sh, -c, 'echo "{}"']}
  parameters:
    static:
    - {name: greeting, title: Greeting, string: hello}
    - {name: replicas, title: Replicas, itemType: number, collectionType: array, array: ["1"]}
    dynamic:
      command: [sh, -c]
      args:
      - |
        printf '[{"name":"greeting","title":"dynamic"},{"name":"color","tooltip":"%s","string":"%s","collectionType":"map","map":{"app":"%s"}}]' \
          "$(cat config.txt | tr -d '\n')" "$ARGOCD_ENV_COLOR" "$ARGOCD_APP_NAME"
`

func TestParametersMergeTheDynamicAnnouncementsWithTheStaticOnes(t *testing.T) {
	plugins := cmptest.Serve(t, announcingPlugin, cmp.DefaultRunnerOptions)
	env := map[string]string{"ARGOCD_APP_NAME": "web", "ARGOCD_ENV_COLOR": "blue"}
	name, got, err := plugins.Parameters(context.Background(), tree, "announcer", cmp.RenderRequest{AppPath: "apps/web", Env: env})
	if err != nil {
		t.Fatal(err)
	}
	want := []cmp.ParameterAnnouncement{
		{Name: "greeting", Title: "Greeting", String: "hello"},
		{Name: "color", Tooltip: "replicas: 2", String: "blue", CollectionType: "map", Map: map[string]string{"app": "web"}},
		{Name: "replicas", Title: "Replicas", ItemType: "number", CollectionType: "array", Array: []string{"1"}},
	}
	if name != "announcer" || !reflect.DeepEqual(got, want) {
		gotJSON, _ := json.Marshal(got)
		t.Errorf("plugin %q, announcements\n%s\nwant\n%+v", name, gotJSON, want)
	}
}

func TestParametersOfAPluginWithoutADynamicCommandAreItsStaticOnes(t *testing.T) {
	plugins := cmptest.Serve(t, `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata: {name: quiet}
spec:
  generate: {command: [sh, -c, 'echo "{}"']}
  parameters:
    static: [{name: only, required: true}]
  discover: {fileName: plugin.marker}
`, cmp.DefaultRunnerOptions)
	// Discovered, as generate would find it.
	name, got, err := plugins.Parameters(context.Background(), tree, "", cmp.RenderRequest{AppPath: "apps/web"})
	if err != nil || name != "quiet" || !reflect.DeepEqual(got, []cmp.ParameterAnnouncement{{Name: "only", Required: true}}) {
		t.Errorf("plugin %q, announcements %+v, error %v", name, got, err)
	}
}

func TestParametersDynamicFailuresSayWhy(t *testing.T) {
	for _, tt := range []struct{ name, command, want string }{
		{"output that is not a JSON list", `echo "color: blue"`, "parameters.dynamic must print a JSON list of parameter announcements"},
		{"a failing command with its stderr", `echo "no values.yaml" >&2; exit 2`, "parameters.dynamic failed (exit status 2): no values.yaml"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata: {name: broken}\nspec:\n" +
				"  generate: {command: [sh, -c, 'echo {}']}\n  parameters:\n    dynamic: {command: [sh, -c, '" + tt.command + "']}\n"
			plugins := cmptest.Serve(t, spec, cmp.DefaultRunnerOptions)
			_, _, err := plugins.Parameters(context.Background(), tree, "broken", cmp.RenderRequest{AppPath: "."})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestStaticAnnouncementsNeedANameFromThePluginFile(t *testing.T) {
	_, err := cmp.ParsePlugin([]byte("kind: ConfigManagementPlugin\nmetadata: {name: x}\nspec:\n  generate: {command: [a]}\n  parameters: {static: [{title: T}]}\n"))
	if err == nil || !strings.Contains(err.Error(), "spec.parameters.static[0].name is required") {
		t.Errorf("error %v", err)
	}
}

// TestFailureMessagesCarryABoundedCleanTailOfStderr checks what a failing
// command's error shows of its stderr: the last KiB, without terminal
// escapes, and without the values of credentials its environment holds.
func TestFailureMessagesCarryABoundedCleanTailOfStderr(t *testing.T) {
	t.Setenv("CAPSTAN_TEST_VAULT_ADDR", "https://vault.internal:8200")
	opts := cmp.DefaultRunnerOptions
	opts.PassEnv = []string{"CAPSTAN_TEST_VAULT_ADDR"}
	opts.Timeout = time.Second
	env := map[string]string{"ARGOCD_ENV_DB_PASSWORD": "hunter2-s3cret", "ARGOCD_ENV_COLOR": "blue"}
	for _, tt := range []struct {
		name, command string
		want, absent  []string
	}{
		{
			name:    "a long stderr keeps its end",
			command: `head -c 5000 /dev/zero | tr "\\0" x >&2; echo >&2; echo "the real reason" >&2; exit 1`,
			want:    []string{"init failed (exit status 1): ...x", "the real reason"},
		},
		{
			name:    "escapes and control characters are removed",
			command: `printf "\\033[31mred\\033[0m\\a\\bdone\\n" >&2; exit 1`,
			want:    []string{"[31mred[0mdone"},
			absent:  []string{"\x1b", "\a", "\b"},
		},
		{
			name:    "credentials of the environment are masked",
			command: `echo "connect with $ARGOCD_ENV_DB_PASSWORD to $CAPSTAN_TEST_VAULT_ADDR as $ARGOCD_ENV_COLOR" >&2; exit 1`,
			want:    []string{"connect with *** to *** as blue"},
			absent:  []string{"hunter2", "vault.internal"},
		},
		{
			name:    "a command stopped at its deadline shows its stderr too",
			command: `echo "waiting for the lock" >&2; sleep 60`,
			want:    []string{"init did not finish within 1s: waiting for the lock"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata: {name: noisy}\nspec:\n" +
				"  init: {command: [sh, -c, '" + tt.command + "']}\n  generate: {command: [sh, -c, 'echo {}']}\n"
			plugins := cmptest.Serve(t, spec, opts)
			_, err := plugins.Generate(context.Background(), tree, "noisy", cmp.RenderRequest{AppPath: ".", Env: env})
			if err == nil {
				t.Fatal("no error")
			}
			message := err.Error()
			for _, want := range tt.want {
				if !strings.Contains(message, want) {
					t.Errorf("error lacks %q:\n%s", want, message)
				}
			}
			for _, absent := range tt.absent {
				if strings.Contains(message, absent) {
					t.Errorf("error has %q:\n%s", absent, message)
				}
			}
			if _, tail, _ := strings.Cut(message, "): "); len(tail) > 1024+len("...") {
				t.Errorf("the stderr part is %d bytes, want at most 1 KiB", len(tail))
			}
		})
	}
}
