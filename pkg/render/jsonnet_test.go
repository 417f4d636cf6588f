package render

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func jsonnetFixture() fstest.MapFS {
	// 200,000 levels: enough to overflow the Go stack if it were parsed.
	deep := strings.Repeat("[", 200000) + strings.Repeat("]", 200000)
	return fstest.MapFS{
		"apps/deep/main.jsonnet":         {Data: []byte(deep)},
		"apps/deepimport/main.jsonnet":   {Data: []byte(`import 'deep.libsonnet'`)},
		"apps/deepimport/deep.libsonnet": {Data: []byte(deep)},
		"apps/j/main.jsonnet": {Data: []byte(`
local params = import 'params.libsonnet';   // next to the file
local lib = import 'lib.libsonnet';         // found in the vendor library path
local util = import '../common/util.libsonnet';
function(replicas, name) {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: lib.prefix + name,
    labels: { env: std.extVar('env'), team: std.extVar('team').name },
    annotations: { revision: std.extVar('rev'), greeting: util.greet(params.who) },
  },
  spec: { replicas: replicas },
}
`)},
		"apps/j/params.libsonnet":      {Data: []byte(`{ who: 'world' }`)},
		"apps/j/list.jsonnet":          {Data: []byte(`[{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'one'}}, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'two'}}]`)},
		"apps/common/util.libsonnet":   {Data: []byte(`{ greet(who):: 'hello ' + who }`)},
		"vendor/lib.libsonnet":         {Data: []byte(`{ prefix: 'lib-' }`)},
		"apps/up/up.jsonnet":           {Data: []byte(`import '../../../outside.libsonnet'`)},
		"apps/absolute/abs.jsonnet":    {Data: []byte(`importstr '/etc/passwd'`)},
		"apps/broken/broken.jsonnet":   {Data: []byte("{\n  a: 1 +,\n}")},
		"apps/missing/missing.jsonnet": {Data: []byte(`import 'nowhere.libsonnet'`)},
		"apps/badlib/main.jsonnet":     {Data: []byte(`{}`)},
		"apps/notobjects/main.jsonnet": {Data: []byte(`"just a string"`)},
	}
}

func TestJsonnet(t *testing.T) {
	source := v1alpha1.ApplicationSource{Path: "apps/j", Directory: &v1alpha1.ApplicationSourceDirectory{Jsonnet: v1alpha1.ApplicationSourceJsonnet{
		ExtVars: []v1alpha1.JsonnetVar{
			{Name: "env", Value: "prod"},
			{Name: "team", Value: "{name: 'platform'}", Code: true},
			{Name: "rev", Value: "${ARGOCD_APP_REVISION_SHORT}"},
		},
		TLAs: []v1alpha1.JsonnetVar{
			{Name: "replicas", Value: "1 + 2", Code: true},
			{Name: "name", Value: "$ARGOCD_APP_NAME"},
		},
		Libs: []string{"vendor"},
	}}}
	result, err := renderMap(t, jsonnetFixture(), source, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(result.Objects), " "); got != "ConfigMap/one ConfigMap/two Deployment/lib-guestbook" {
		t.Fatalf("objects %s", got)
	}
	deployment := result.Objects[2].Object
	want := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{
			"name":        "lib-guestbook",
			"labels":      map[string]any{"env": "prod", "team": "platform"},
			"annotations": map[string]any{"revision": "3f2a1c9", "greeting": "hello world"},
		},
		"spec": map[string]any{"replicas": int64(3)},
	}
	if !reflect.DeepEqual(deployment, want) {
		t.Errorf("deployment\n got %#v\nwant %#v", deployment, want)
	}
}

func TestJsonnetErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
		libs []string
		want string
		is   error
	}{
		{name: "an import that climbs out of the repository is refused", path: "apps/up", want: "outside.libsonnet", is: ErrOutsideRepository},
		{name: "an absolute import is refused", path: "apps/absolute", want: "/etc/passwd", is: ErrOutsideRepository},
		{name: "a library path outside the repository is refused", path: "apps/badlib", libs: []string{"../elsewhere"}, is: ErrOutsideRepository},
		{name: "a syntax error names the file and line", path: "apps/broken", want: "apps/broken/broken.jsonnet:2"},
		{name: "a missing import names what was looked for", path: "apps/missing", want: "couldn't open import \"nowhere.libsonnet\""},
		{name: "output that is not objects is an error", path: "apps/notobjects", want: "failed to unmarshal generated json"},
		{name: "brackets nested deep enough to overflow the parser are refused", path: "apps/deep", want: "nest deeper than 1000 levels"},
		{name: "an import nested too deep is refused", path: "apps/deepimport", want: "deep.libsonnet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			source := v1alpha1.ApplicationSource{Path: tt.path, Directory: &v1alpha1.ApplicationSourceDirectory{
				Recurse: true, Jsonnet: v1alpha1.ApplicationSourceJsonnet{Libs: tt.libs},
			}}
			_, err := renderMap(t, jsonnetFixture(), source, Options{})
			if err == nil {
				t.Fatal("expected an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
