package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestKubectlCapstanPreviewsAnApplicationSet(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, workloads("frontend", "backend"))
	spec := func(elements string) string {
		return `  generators:
  - list: {elements: [` + elements + `]}
` + appTemplate(ns, "{{.app}}", repo.URL, "apps/{{.app}}")
	}
	stored := applicationSet("web", ns, spec("{app: frontend}"))
	kubectlWithInput(t, stored, "apply", "-f", "-")
	waitForApplicationNames(t, ns, "frontend")
	destination := regexp.QuoteMeta("https://kubernetes.default.svc/" + ns)

	t.Run("preview NAME runs the stored ApplicationSet's generators", func(t *testing.T) {
		out := mustCapstan(t, "appset", "preview", "web", "-n", ns)
		for _, row := range []string{`ACTION\s+NAME\s+PROJECT\s+DESTINATION\s+MESSAGE`, `Unchanged\s+frontend\s+` + ns + `\s+` + destination} {
			if !regexp.MustCompile(row).MatchString(out) {
				t.Errorf("no row %s:\n%s", row, out)
			}
		}
	})

	// The candidate, in Argo CD's apiVersion, generates backend instead.
	candidate := filepath.Join(t.TempDir(), "candidate.yaml")
	argo := strings.Replace(applicationSet("web", ns, spec("{app: backend}")), "capstan.dev/v1alpha1", "argoproj.io/v1alpha1", 1)
	if err := os.WriteFile(candidate, []byte(argo), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("preview -f shows what a candidate would change", func(t *testing.T) {
		out := mustCapstan(t, "appset", "preview", "-f", candidate)
		for _, row := range []string{`Create\s+backend\s+` + ns + `\s+` + destination, `Delete\s+frontend\s+` + ns} {
			if !regexp.MustCompile(row).MatchString(out) {
				t.Errorf("no row %s:\n%s", row, out)
			}
		}
	})
	t.Run("-o json prints the whole preview", func(t *testing.T) {
		var preview struct {
			Kind  string `json:"kind"`
			Items []struct {
				Name, Action string
				Application  struct {
					Spec struct {
						Source struct{ Path string } `json:"source"`
					} `json:"spec"`
				} `json:"application"`
			} `json:"items"`
		}
		out := mustCapstan(t, "appset", "preview", "-f", candidate, "-o", "json")
		if err := json.Unmarshal([]byte(out), &preview); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		if preview.Kind != "ApplicationSetPreview" || len(preview.Items) != 2 {
			t.Fatalf("kind %s with %d items:\n%s", preview.Kind, len(preview.Items), out)
		}
		for _, item := range preview.Items {
			if item.Name == "backend" && (item.Action != "Create" || item.Application.Spec.Source.Path != "apps/backend") {
				t.Errorf("backend: %+v", item)
			}
		}
	})
	t.Run("a preview writes nothing", func(t *testing.T) {
		if got, err := applications(ns); err != nil || strings.Join(got, " ") != "frontend" {
			t.Errorf("Applications %v (%v), want only frontend", got, err)
		}
		if got := kubectl(t, "get", "appset", "web", "-n", ns, "-o", "jsonpath={.spec.generators[0].list.elements[0].app}"); got != "frontend" {
			t.Errorf("the stored ApplicationSet generates %q, want it unchanged", got)
		}
	})
	t.Run("errors name what is wrong", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"appset", "preview", "missing", "-n", ns}, `"missing" not found`},
			{[]string{"appset", "preview"}, "give the name of an ApplicationSet, or a candidate with -f FILE"},
			{[]string{"appset", "preview", "-f", candidate, "-n", "elsewhere"}, `does not match the namespace "elsewhere"`},
		} {
			if out, code := capstan(t, tt.args...); code != 1 || !strings.Contains(out, tt.want) {
				t.Errorf("kubectl capstan %s: exit code %d, want 1 with %q:\n%s", strings.Join(tt.args, " "), code, tt.want, out)
			}
		}
	})
}
