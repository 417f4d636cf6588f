package render

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// FuzzHelmValues merges arbitrary value files, values, valuesObject and a
// parameter with Argo CD's precedence:
//   - nothing panics;
//   - an error names what failed: a value file, values/valuesObject or the
//     parameter;
//   - a success is the merge: the parameter wins over everything, the inline
//     values over the files, the second file over the first (for keys whose
//     values are not maps), and no input is modified by the merge;
//   - merging values over themselves changes nothing.
func FuzzHelmValues(f *testing.F) {
	for _, seed := range []struct {
		first, second, values, object, name, value string
		forceString                                bool
	}{
		{"replicas: 1\nimage: {tag: v1}\n", "image: {tag: v2, pull: Always}\n", "image:\n  tag: v3\n", "", "replicas", "3", false},
		{"a: 1", "a: {b: 2}", "", `{"a":{"c":3}}`, "a.d", "x,y", true},
		{"list: [1, 2]", "list: null", "list: [3]", "", "list[0]", "{a,b}", false},
		{"a: &x [*x]", "", "", "", "", "", false},
		{"a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n", "", "", "", "", "", false},
		{"- not a map", "", "", "", "", "", false},
		{"", "", "{{{", "", "", "", false},
		{"", "", "", `[1]`, "", "", false},
		{"", "", "", `{"a":`, "", "", false},
		{"", "", "", "", "a[", "1", false},
		{"", "", "", "", "a[99999999999]", "1", false},
		{"", "", "", "", "$ARGOCD_APP_NAME", "${ARGOCD_APP_NAME}", false},
	} {
		f.Add(seed.first, seed.second, seed.values, seed.object, seed.name, seed.value, seed.forceString)
	}
	r := &Renderer{}
	f.Fuzz(func(t *testing.T, first, second, values, object, name, value string, forceString bool) {
		repo := fstest.MapFS{
			"chart/first.yaml":  {Data: []byte(first)},
			"chart/second.yaml": {Data: []byte(second)},
		}
		job := &renderJob{req: &Request{Repo: repo, AppName: "app"}, appDir: "chart", env: buildEnv{"ARGOCD_APP_NAME": "app"}}
		opts := &v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"first.yaml", "second.yaml"}, Values: values}
		if object != "" {
			opts.ValuesObject = &runtime.RawExtension{Raw: []byte(object)}
		}
		if name != "" {
			opts.Parameters = []v1alpha1.HelmParameter{{Name: name, Value: value, ForceString: forceString}}
		}
		merged, err := r.helmValues(job, opts)
		if err != nil {
			msg := err.Error()
			for _, named := range []string{"first.yaml", "second.yaml", "values", "valuesObject", "parameter"} {
				if strings.Contains(msg, named) {
					return
				}
			}
			t.Fatalf("error names no value file, values or parameter: %v", err)
		}
		// Each layer alone, parsed as helmValues parses it.
		a, errA := readValuesFile(repoFile{repo: repo, path: "chart/first.yaml"})
		b, errB := readValuesFile(repoFile{repo: repo, path: "chart/second.yaml"})
		if errA != nil || errB != nil {
			t.Fatalf("helmValues accepted value files that do not parse alone: %v, %v", errA, errB)
		}
		inline := map[string]any{}
		if raw, _ := inlineValues(opts); len(raw) > 0 {
			if err := yaml.Unmarshal(raw, &inline); err != nil {
				t.Fatalf("helmValues accepted inline values that do not parse alone: %v", err)
			}
		}
		before := fmt.Sprint(a, b, inline) // fmt prints maps sorted
		withoutParameter := mergeValues(mergeValues(a, b), inline)
		if fmt.Sprint(a, b, inline) != before {
			t.Fatalf("mergeValues modified its inputs")
		}
		if again := mergeValues(withoutParameter, withoutParameter); !reflect.DeepEqual(again, withoutParameter) {
			t.Fatalf("merging values over themselves changed them: %v -> %v", withoutParameter, again)
		}
		parameterKey := strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == '[' || r == '=' || r == '\\' })
		for key, want := range withoutParameter {
			if len(parameterKey) > 0 && key == parameterKey[0] || name != "" && strings.HasPrefix(name, key) {
				continue // the parameter may have changed it
			}
			if _, isMap := want.(map[string]any); isMap {
				continue
			}
			if got, ok := merged[key]; !ok || !reflect.DeepEqual(got, want) {
				t.Fatalf("key %q: merged %#v, want %#v (files, then inline values)", key, got, want)
			}
		}
		// A plain name=value parameter sets that key.
		if isPlainWord(name) && isPlainWord(value) {
			if got := merged[name]; got != value {
				t.Fatalf("parameter %s=%s: merged has %#v", name, value, got)
			}
		}
	})
}

// isPlainWord is a non-empty run of lower-case letters that YAML reads as a
// string (not true/false/null/yes/no...).
func isPlainWord(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for _, c := range s {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	switch s {
	case "true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf":
		return false
	}
	return true
}
