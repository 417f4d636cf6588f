package template

import (
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func templateFromYAML(t *testing.T, text string) v1alpha1.ApplicationSetTemplate {
	t.Helper()
	var tmpl v1alpha1.ApplicationSetTemplate
	if err := yaml.UnmarshalStrict([]byte(text), &tmpl); err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func TestApplicationRendersEveryStringAndKey(t *testing.T) {
	tmpl := templateFromYAML(t, `
metadata:
  name: '{{.name}}-app'
  labels:
    'team-{{.team}}': 'yes'
  annotations:
    owner: '{{.team}}'
spec:
  project: default
  source:
    repoURL: https://git.example.com/apps.git
    path: 'apps/{{.name}}'
    helm:
      valuesObject:
        replicas: 2
        image: 'registry/{{.name}}'
  destination:
    server: https://kubernetes.default.svc
    namespace: '{{.name}}'
  revisionHistoryLimit: 3
`)
	app, err := NewRenderer(Options{GoTemplate: true}).Application(tmpl, map[string]any{"name": "guestbook", "team": "a"})
	if err != nil {
		t.Fatal(err)
	}
	if app.Name != "guestbook-app" || app.Labels["team-a"] != "yes" || app.Annotations["owner"] != "a" {
		t.Errorf("metadata = %+v", app.ObjectMeta)
	}
	if app.Spec.Source.Path != "apps/guestbook" || app.Spec.Destination.Namespace != "guestbook" {
		t.Errorf("spec = %+v", app.Spec)
	}
	if *app.Spec.RevisionHistoryLimit != 3 {
		t.Errorf("revisionHistoryLimit = %d, want 3", *app.Spec.RevisionHistoryLimit)
	}
	var values map[string]any
	if err := json.Unmarshal(app.Spec.Source.Helm.ValuesObject.Raw, &values); err != nil {
		t.Fatal(err)
	}
	if values["image"] != "registry/guestbook" || values["replicas"] != float64(2) {
		t.Errorf("valuesObject = %v", values)
	}
}

func TestPatchMergesOverTheApplicationButNotItsProject(t *testing.T) {
	tmpl := templateFromYAML(t, `
metadata: {name: '{{.name}}'}
spec:
  project: team
  source: {repoURL: https://git.example.com/apps.git, path: apps}
  destination: {server: https://kubernetes.default.svc, namespace: apps}
`)
	patch := `
spec:
  project: other
{{- if .autoSync }}
  syncPolicy:
    automated:
      prune: {{ .prune }}
{{- end }}
`
	renderer := NewRenderer(Options{GoTemplate: true})
	tests := []struct {
		name      string
		params    map[string]any
		automated bool
		prune     bool
	}{
		{name: "a condition that holds adds non-string fields", params: map[string]any{"name": "a", "autoSync": true, "prune": true}, automated: true, prune: true},
		{name: "a condition that fails adds nothing", params: map[string]any{"name": "b", "autoSync": false, "prune": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, err := renderer.Application(tmpl, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			patched, err := renderer.Patch(app, patch, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if patched.Spec.Project != "team" {
				t.Errorf("project = %q, the patch may not change it", patched.Spec.Project)
			}
			automated := patched.Spec.SyncPolicy != nil && patched.Spec.SyncPolicy.Automated != nil
			if automated != tt.automated || automated && patched.Spec.SyncPolicy.Automated.Prune != tt.prune {
				t.Errorf("syncPolicy = %+v", patched.Spec.SyncPolicy)
			}
			if patched.Spec.Source.Path != "apps" {
				t.Errorf("the patch lost the source: %+v", patched.Spec.Source)
			}
		})
	}
}

func TestPatchThatIsNotAnApplicationIsAnError(t *testing.T) {
	renderer := NewRenderer(Options{GoTemplate: true})
	_, err := renderer.Patch(&v1alpha1.Application{}, "spec: [not, a, spec]", nil)
	if err == nil || !strings.Contains(err.Error(), "templatePatch does not render to an Application") {
		t.Fatalf("error = %v", err)
	}
}

func TestMergeKeepsTheGeneratorFieldsAndFillsTheRest(t *testing.T) {
	base := templateFromYAML(t, `
metadata: {name: base, labels: {a: base, b: base}}
spec:
  project: default
  source: {repoURL: https://git.example.com/apps.git, path: base}
  destination: {server: https://kubernetes.default.svc, namespace: base}
`)
	generator := templateFromYAML(t, `
metadata: {name: override, labels: {a: override}}
spec:
  project: ""
  source: {repoURL: "", path: override}
  destination: {}
`)
	merged, err := Merge(generator, base)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Metadata.Name != "override" || merged.Metadata.Labels["a"] != "override" || merged.Metadata.Labels["b"] != "base" {
		t.Errorf("metadata = %+v", merged.Metadata)
	}
	if merged.Spec.Project != "default" || merged.Spec.Source.Path != "override" || merged.Spec.Source.RepoURL != "https://git.example.com/apps.git" ||
		merged.Spec.Destination.Namespace != "base" {
		t.Errorf("spec = %+v %+v", merged.Spec, merged.Spec.Source)
	}
	if base.Metadata.Name != "base" || base.Spec.Source.Path != "base" {
		t.Errorf("the base template was modified: %+v", base)
	}
}

func TestValueRendersKeysAndKeepsOtherValues(t *testing.T) {
	renderer := NewRenderer(Options{})
	got, err := renderer.Value(map[string]any{"{{a}}": []any{"{{a}}", float64(1), true, nil}}, map[string]any{"a": "x"})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(got)
	if string(data) != `{"x":["x",1,true,null]}` {
		t.Errorf("got %s", data)
	}
	var list v1alpha1.ListGenerator
	if err := renderer.Object(v1alpha1.ListGenerator{ElementsYaml: "- name: {{a}}", Elements: []runtime.RawExtension{{Raw: []byte(`{"k":"{{a}}"}`)}}},
		map[string]any{"a": "x"}, &list); err != nil {
		t.Fatal(err)
	}
	if list.ElementsYaml != "- name: x" || string(list.Elements[0].Raw) != `{"k":"x"}` {
		t.Errorf("list = %+v %s", list, list.Elements[0].Raw)
	}
}
