package template

import (
	"strings"
	"testing"
)

func TestReplaceWithFasttemplate(t *testing.T) {
	params := map[string]any{"cluster": "dev", "path.basename": "guestbook", "count": 3}
	tests := []struct {
		name, text, want, err string
	}{
		{name: "a parameter is substituted", text: "app-{{cluster}}", want: "app-dev"},
		{name: "spaces around the name are ignored", text: "{{ cluster }}/{{path.basename }}", want: "dev/guestbook"},
		{name: "an unknown parameter is left as written", text: "{{ missing }}-{{cluster}}", want: "{{ missing }}-dev"},
		{name: "a parameter that is not a string is left as written", text: "{{count}}", want: "{{count}}"},
		{name: "an empty tag is left as written", text: "{{}}", want: "{{}}"},
		{name: "text without tags is unchanged", text: "plain", want: "plain"},
		{name: "a tag opened and closed on different lines is not a tag", text: "{{cluster\n}}", want: "{{cluster\n}}"},
		{name: "an unclosed tag after a tag is an error", text: "{{cluster}} {{", err: "cannot find end tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewRenderer(Options{}).Replace(tt.text, params)
			checkResult(t, got, err, tt.want, tt.err)
		})
	}
}

func TestReplaceWithGoTemplate(t *testing.T) {
	params := map[string]any{
		"name":    "My App.Prod",
		"path":    map[string]any{"basename": "guestbook", "segments": []any{"apps", "guestbook"}},
		"values":  map[string]any{"replicas": "2"},
		"servers": []any{"a", "b"},
	}
	tests := []struct {
		name, text, want, err string
		options               []string
	}{
		{name: "fields of nested parameters are reachable", text: "{{.path.basename}}-{{index .path.segments 0}}", want: "guestbook-apps"},
		{name: "Sprig functions are available", text: "{{ .path.basename | upper }}", want: "GUESTBOOK"},
		{name: "normalize makes a DNS subdomain", text: "{{ normalize .name }}", want: "my-app.prod"},
		{name: "slugify drops dots and cuts at a dash", text: "{{ slugify 6 true .name }}", want: "my-app"},
		{name: "toYaml renders without the final newline", text: "{{ toYaml .servers }}", want: "- a\n- b"},
		{name: "fromYaml parses a mapping", text: `{{ (fromYaml "a: b").a }}`, want: "b"},
		{name: "fromYamlArray parses a sequence", text: `{{ index (fromYamlArray "[x, z]") 1 }}`, want: "z"},
		{name: "a missing key prints no value by default", text: "{{ .absent }}", want: "<no value>"},
		{name: "missingkey=error makes a missing key an error", text: "{{ .absent }}", options: []string{"missingkey=error"}, err: `map has no entry for key "absent"`},
		{name: "env is not available", text: `{{ env "HOME" }}`, err: `function "env" not defined`},
		{name: "expandenv is not available", text: `{{ expandenv "$HOME" }}`, err: `function "expandenv" not defined`},
		{name: "getHostByName is not available", text: `{{ getHostByName "localhost" }}`, err: `function "getHostByName" not defined`},
		{name: "output beyond the bound is an error", text: `{{ repeat 2000000 "x" }}`, err: "larger than"},
		{name: "text without actions is not parsed", text: "{ not a template }", want: "{ not a template }"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewRenderer(Options{GoTemplate: true, GoTemplateOptions: tt.options}).Replace(tt.text, params)
			checkResult(t, got, err, tt.want, tt.err)
		})
	}
}

func TestSlugify(t *testing.T) {
	tests := []struct {
		name string
		args []any
		want string
	}{
		{name: "a name is lower-cased and dashed", args: []any{"Hello World"}, want: "hello-world"},
		{name: "the default size is 50 characters, cut at a dash", args: []any{strings.Repeat("abcd-", 12)}, want: strings.TrimSuffix(strings.Repeat("abcd-", 10), "-")},
		{name: "without smart truncation the cut is exact", args: []any{7, false, "abcd-efgh-ijkl"}, want: "abcd-ef"},
		{name: "smart truncation keeps whole words", args: []any{7, true, "abcd-efgh-ijkl"}, want: "abcd"},
		{name: "dots and underscores become dashes", args: []any{"a.b_c"}, want: "a-b-c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Slugify(tt.args...); got != tt.want {
				t.Errorf("Slugify(%v) = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	for input, want := range map[string]string{
		"In-Cluster":             "in-cluster",
		"https://a.example.com":  "https---a.example.com",
		"-a_b-":                  "a-b",
		strings.Repeat("x", 300): strings.Repeat("x", 253),
	} {
		if got := Normalize(input); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", input, got, want)
		}
	}
}

func checkResult(t *testing.T, got string, err error, want, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error = %v, want one containing %q (result %q)", err, wantErr, got)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
