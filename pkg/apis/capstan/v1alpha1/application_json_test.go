package v1alpha1

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
)

// strictYAML decodes like the API server with fieldValidation=Strict.
func strictYAML(t *testing.T, manifest string) (runtime.Object, error) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	serializer := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Yaml: true, Strict: true})
	obj, _, err := serializer.Decode([]byte(manifest), nil, nil)
	return obj, err
}

func TestKustomizeImageDecoding(t *testing.T) {
	cases := []struct {
		name    string
		json    string
		want    KustomizeImage
		wantErr string
	}{
		{name: "the string form is kept as is", json: `"old=new:v1@sha256:abc"`, want: "old=new:v1@sha256:abc"},
		{name: "the object form with a tag becomes name:tag", json: `{"name":"my-app","newTag":"v1.2.3"}`, want: "my-app:v1.2.3"},
		{name: "the object form with every field becomes name=newName:tag@digest",
			json: `{"name":"nginx","newName":"registry.example.com/nginx","newTag":"1.25","digest":"sha256:abc"}`,
			want: "nginx=registry.example.com/nginx:1.25@sha256:abc"},
		{name: "an object without name is refused", json: `{"newTag":"v1"}`, wantErr: "needs a name"},
		{name: "an object with an unknown field is refused", json: `{"name":"a","tag":"v1"}`, wantErr: "unknown fields tag"},
		{name: "a number is refused", json: `3`, wantErr: "must be a string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got KustomizeImage
			err := json.Unmarshal([]byte(tc.json), &got)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
			out, err := json.Marshal(got)
			if err != nil || string(out) != `"`+string(tc.want)+`"` {
				t.Fatalf("marshal gave %s, %v", out, err)
			}
		})
	}
}

func TestHealthStatusDecoding(t *testing.T) {
	cases := []struct {
		name    string
		json    string
		want    HealthStatus
		wantErr bool
	}{
		{name: "the object form is read", json: `{"status":"Degraded","message":"CrashLoopBackOff"}`,
			want: HealthStatus{Status: HealthStatusDegraded, Message: "CrashLoopBackOff"}},
		{name: "a bare health code becomes its status", json: `"Healthy"`, want: HealthStatus{Status: HealthStatusHealthy}},
		{name: "an unknown field in the object form is refused", json: `{"status":"Healthy","reason":"x"}`, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got HealthStatus
			err := json.Unmarshal([]byte(tc.json), &got)
			if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
				t.Fatalf("got %+v, %v; want %+v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestPluginParameterJSON(t *testing.T) {
	text := "plain"
	cases := []struct {
		name  string
		param ApplicationSourcePluginParameter
		json  string
	}{
		{name: "a string parameter", param: ApplicationSourcePluginParameter{Name: "mode", String: &text},
			json: `{"name":"mode","string":"plain"}`},
		{name: "an empty map and an empty array stay present", param: ApplicationSourcePluginParameter{
			Name: "extra", OptionalMap: &OptionalMap{}, OptionalArray: &OptionalArray{}},
			json: `{"array":[],"map":{},"name":"extra"}`},
		{name: "a map and an array", param: ApplicationSourcePluginParameter{
			Name: "p", OptionalMap: &OptionalMap{Map: map[string]string{"k": "v"}}, OptionalArray: &OptionalArray{Array: []string{"a"}}},
			json: `{"array":["a"],"map":{"k":"v"},"name":"p"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := json.Marshal(tc.param)
			if err != nil || string(out) != tc.json {
				t.Fatalf("marshal gave %s, %v; want %s", out, err, tc.json)
			}
			var back ApplicationSourcePluginParameter
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatal(err)
			}
			if (back.OptionalMap == nil) != (tc.param.OptionalMap == nil) || (back.OptionalArray == nil) != (tc.param.OptionalArray == nil) {
				t.Fatalf("round trip lost presence: %+v", back)
			}
		})
	}
}

func TestStrictDecodingOfArgoCDShapes(t *testing.T) {
	manifest := `
apiVersion: capstan.dev/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  sources:
  - repoURL: https://github.com/org/web.git
    path: deploy
    kustomize:
      images: [web=registry.example.com/web:v2, {name: sidecar, newTag: v9}]
      replicas: [{name: web, count: "3"}]
      patches:
      - target: {group: apps, version: v1, kind: Deployment, name: web, labelSelector: tier=web}
        patch: '[{"op":"replace","path":"/spec/paused","value":false}]'
  - repoURL: https://github.com/org/values.git
    ref: values
    plugin:
      env: [{name: FOO, value: bar}]
      parameters: [{name: a, string: x}, {name: b, map: {}}, {name: c, array: []}]
  destination: {name: in-cluster, namespace: web}
  syncPolicy:
    automated: {prune: true, enabled: false}
    retry: {limit: 5, refresh: true, backoff: {duration: 5s, factor: 2, maxDuration: 3m}}
operation:
  sync:
    syncStrategy: {hook: {force: true}}
    autoHealAttemptsCount: 2
status:
  resources:
  - {kind: Deployment, name: web, status: Synced, health: Healthy}
`
	obj, err := strictYAML(t, manifest)
	if err != nil {
		t.Fatalf("strict decode: %v", err)
	}
	app := obj.(*Application)
	if got := app.Spec.Sources[0].Kustomize.Images; !reflect.DeepEqual(got, KustomizeImages{"web=registry.example.com/web:v2", "sidecar:v9"}) {
		t.Errorf("images = %q", got)
	}
	if got := app.Spec.Sources[0].Kustomize.Patches[0].Target; got.Kind != "Deployment" || got.Group != "apps" || got.LabelSelector != "tier=web" {
		t.Errorf("patch target = %+v", got)
	}
	if p := app.Spec.Sources[1].Plugin.Parameters; p[1].OptionalMap == nil || p[2].OptionalArray == nil || p[0].OptionalMap != nil {
		t.Errorf("plugin parameters = %+v", p)
	}
	if !app.Operation.Sync.SyncStrategy.Hook.Force || app.Operation.Sync.SelfHealAttemptsCount != 2 {
		t.Errorf("operation = %+v", app.Operation.Sync)
	}
	if app.Spec.SyncPolicy.IsAutomatedSyncEnabled() {
		t.Error("automated sync with enabled: false reported as enabled")
	}
	if h := app.Status.Resources[0].Health; h == nil || h.Status != HealthStatusHealthy {
		t.Errorf("resource health = %+v", h)
	}

	if _, err := strictYAML(t, strings.Replace(manifest, "project: default", "project: default\n  projekt: typo", 1)); err == nil ||
		!strings.Contains(err.Error(), "projekt") {
		t.Errorf("an unknown field was not reported: %v", err)
	}
}

func TestSyncWindowTimeZoneDefault(t *testing.T) {
	project := &AppProject{Spec: AppProjectSpec{SyncWindows: SyncWindows{{Kind: "deny"}, nil, {Kind: "allow", TimeZone: "Europe/Berlin"}}}}
	SetObjectDefaults_AppProject(project)
	if got := project.Spec.SyncWindows[0].TimeZone; got != "UTC" {
		t.Errorf("empty time zone defaulted to %q, want UTC", got)
	}
	if got := project.Spec.SyncWindows[2].TimeZone; got != "Europe/Berlin" {
		t.Errorf("explicit time zone changed to %q", got)
	}
}

func TestSyncOptionsLookup(t *testing.T) {
	opts := SyncOptions{"CreateNamespace=true", "PrunePropagationPolicy=background", "Prune=false"}
	if !opts.HasOption("Prune=false") || opts.HasOption("Prune=true") {
		t.Error("HasOption must match whole options")
	}
	if v, ok := opts.GetOption("PrunePropagationPolicy"); !ok || v != "background" {
		t.Errorf("GetOption = %q, %v", v, ok)
	}
	if _, ok := opts.GetOption("Replace"); ok {
		t.Error("GetOption found an absent key")
	}
}
