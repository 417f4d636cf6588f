package plugin

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

const (
	argoApplication    = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: guestbook\n  namespace: argocd\n"
	capstanApplication = "apiVersion: capstan.dev/v1alpha1\nkind: Application\nmetadata:\n  name: guestbook\n  namespace: argocd\n"
	argoAppProject     = "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: production\n  namespace: argocd\n"
	capstanAppProject  = "apiVersion: capstan.dev/v1alpha1\nkind: AppProject\nmetadata:\n  name: production\n"
	configMap          = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n"
)

// writeFile writes content to name in a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConvertCommand(t *testing.T) {
	apps := writeFile(t, "apps.yaml", argoApplication+"---\n"+configMap)
	project := writeFile(t, "project.yaml", argoAppProject)
	broken := writeFile(t, "broken.yaml", configMap+"---\nkind: [Application\n")
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantOut    string
		wantErrOut string // a substring of stderr
		wantFail   bool
	}{
		{
			name:       "-f converts a file and summarizes on stderr",
			args:       []string{"convert", "-f", apps},
			wantOut:    capstanApplication + "---\n" + configMap,
			wantErrOut: "converted 1 document(s), 1 left unchanged\n",
		},
		{
			name:       "without -f it reads standard input",
			args:       []string{"convert"},
			stdin:      argoAppProject,
			wantOut:    capstanAppProject,
			wantErrOut: "converted 1 document(s), 0 left unchanged\n",
		},
		{
			name:       "-f - reads standard input",
			args:       []string{"convert", "-f", "-"},
			stdin:      configMap,
			wantOut:    configMap,
			wantErrOut: "converted 0 document(s), 1 left unchanged\n",
		},
		{
			name:       "several files are separated by --- and summarized together",
			args:       []string{"convert", "-f", apps, "--filename", project},
			wantOut:    capstanApplication + "---\n" + configMap + "---\n" + capstanAppProject,
			wantErrOut: "converted 2 document(s), 1 left unchanged\n",
		},
		{
			name:       "a malformed document fails naming the file and the document",
			args:       []string{"convert", "-f", broken},
			wantErrOut: broken + ": document 2: ",
			wantOut:    configMap,
			wantFail:   true,
		},
		{
			name:       "a missing file fails naming it",
			args:       []string{"convert", "-f", filepath.Join(t.TempDir(), "missing.yaml")},
			wantErrOut: "missing.yaml",
			wantFail:   true,
		},
		{
			name:       "arguments other than flags are refused",
			args:       []string{"convert", apps},
			wantErrOut: "unknown command",
			wantFail:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(append([]string{"kubectl-capstan"}, tt.args...),
				genericiooptions.IOStreams{In: strings.NewReader(tt.stdin), Out: &out, ErrOut: &errOut})
			if (code != 0) != tt.wantFail {
				t.Fatalf("exit code %d, want failure %v (stderr %s)", code, tt.wantFail, errOut.String())
			}
			if out.String() != tt.wantOut {
				t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), tt.wantOut)
			}
			if !strings.Contains(errOut.String(), tt.wantErrOut) {
				t.Errorf("stderr = %q, want it to contain %q", errOut.String(), tt.wantErrOut)
			}
		})
	}
}
