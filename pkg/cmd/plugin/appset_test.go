package plugin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const candidateSpec = `spec:
  goTemplate: true
  generators:
  - list: {elements: [{env: dev}]}
  template:
    metadata: {name: 'guestbook-{{.env}}'}
    spec:
      project: default
      source: {repoURL: https://git.example.com/apps.git, path: 'guestbook/{{.env}}'}
      destination: {server: https://kubernetes.default.svc, namespace: '{{.env}}'}
`

func TestACandidateApplicationSetIsReadFromAFileOrStandardInput(t *testing.T) {
	tests := []struct {
		name, content, wantErr string
	}{
		{"Capstan's apiVersion", "apiVersion: capstan.dev/v1alpha1\nkind: ApplicationSet\nmetadata: {name: guestbooks, namespace: team}\n" + candidateSpec, ""},
		{"Argo CD's apiVersion, converted", "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: guestbooks, namespace: team}\n" + candidateSpec, ""},
		{"a leading document separator", "---\napiVersion: capstan.dev/v1alpha1\nkind: ApplicationSet\nmetadata: {name: guestbooks, namespace: team}\n" + candidateSpec, ""},
		{"JSON", `{"apiVersion": "capstan.dev/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "guestbooks", "namespace": "team"}, "spec": {"generators": [], "template": {"metadata": {}, "spec": {"destination": {}, "project": ""}}}}`, ""},
		{"another kind", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbooks}\n", "holds v1 ConfigMap, not an ApplicationSet"},
		{"no kind", "metadata: {name: guestbooks}\n", "holds no apiVersion and kind, not an ApplicationSet"},
		{"a misspelt field", "apiVersion: capstan.dev/v1alpha1\nkind: ApplicationSet\nmetadata: {name: guestbooks}\n" + strings.Replace(candidateSpec, "generators:", "generator:", 1), `unknown field "spec.generator"`},
		{"no name", "apiVersion: capstan.dev/v1alpha1\nkind: ApplicationSet\nmetadata: {namespace: team}\n" + candidateSpec, "metadata.name: the ApplicationSet needs a name"},
		{"two documents", "apiVersion: capstan.dev/v1alpha1\nkind: ApplicationSet\nmetadata: {name: a}\n" + candidateSpec + "---\napiVersion: capstan.dev/v1alpha1\nkind: ApplicationSet\nmetadata: {name: b}\n" + candidateSpec, "more than one document"},
		{"nothing", "# just a comment\n", "holds no ApplicationSet"},
		{"not YAML", "apiVersion: [\n", "candidate.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "candidate.yaml")
			if err := os.WriteFile(file, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			candidate, err := readCandidate(file, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "candidate.yaml") {
					t.Fatalf("error %v, want one naming the file and saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if candidate.Name != "guestbooks" || candidate.Namespace != "team" || candidate.APIVersion != "capstan.dev/v1alpha1" {
				t.Errorf("candidate %s/%s of %s", candidate.Namespace, candidate.Name, candidate.APIVersion)
			}
		})
	}
	t.Run("standard input", func(t *testing.T) {
		candidate, err := readCandidate("-", strings.NewReader("apiVersion: capstan.dev/v1alpha1\nkind: ApplicationSet\nmetadata: {name: guestbooks}\n"+candidateSpec))
		if err != nil || candidate.Name != "guestbooks" || len(candidate.Spec.Generators) != 1 {
			t.Fatalf("candidate %+v, %v", candidate, err)
		}
	})
}
