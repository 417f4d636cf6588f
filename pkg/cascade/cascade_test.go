package cascade

import (
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestFinalizerPatchSetsTheCascadeChoice(t *testing.T) {
	tests := []struct {
		name       string
		cascade    string
		finalizers []string
		want       []string
		unchanged  bool
	}{
		{name: "foreground adds the resources finalizer", cascade: Foreground, finalizers: []string{"other"}, want: []string{"other", v1alpha1.ResourcesFinalizerName}},
		{name: "background replaces the foreground finalizer", cascade: Background, finalizers: []string{v1alpha1.ResourcesFinalizerName}, want: []string{v1alpha1.BackgroundPropagationPolicyFinalizer}},
		{name: "orphan removes every resources finalizer and keeps others", cascade: Orphan, finalizers: []string{v1alpha1.ForegroundPropagationPolicyFinalizer, "other"}, want: []string{"other"}},
		{name: "orphan of an Application without finalizers changes nothing", cascade: Orphan, unchanged: true},
		{name: "a finalizer already right changes nothing", cascade: Foreground, finalizers: []string{v1alpha1.ResourcesFinalizerName}, unchanged: true},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			finalizer, err := Finalizer(test.cascade)
			if err != nil {
				t.Fatal(err)
			}
			app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Finalizers: test.finalizers, ResourceVersion: "7"}}
			patch, changed := FinalizerPatch(app, finalizer)
			if changed == test.unchanged {
				t.Fatalf("changed %t", changed)
			}
			if !changed {
				return
			}
			var ops []struct {
				Op    string `json:"op"`
				Path  string `json:"path"`
				Value any    `json:"value"`
			}
			if err := json.Unmarshal(patch, &ops); err != nil {
				t.Fatal(err)
			}
			if len(ops) != 2 || ops[0].Op != "test" || ops[0].Value != "7" || ops[1].Path != "/metadata/finalizers" {
				t.Fatalf("patch %s", patch)
			}
			got, _ := json.Marshal(ops[1].Value)
			want, _ := json.Marshal(test.want)
			if string(got) != string(want) {
				t.Errorf("finalizers %s, want %s", got, want)
			}
		})
	}
	t.Run("an unknown cascade names the choices", func(t *testing.T) {
		if _, err := Finalizer("sideways"); err == nil || !strings.Contains(err.Error(), `"foreground", "background" or "orphan"`) {
			t.Fatalf("error %v", err)
		}
	})
}
