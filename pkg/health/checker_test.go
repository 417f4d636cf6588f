package health

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// fixtureCase is one object under testdata and the health it must get.
type fixtureCase struct {
	name string
	// fixture is the path under testdata, "<kind>/<case>.yaml".
	fixture string
	// status is the expected code; empty means no health at all.
	status  v1alpha1.HealthStatusCode
	message string
	// wantErr says Assess must also return an error.
	wantErr bool
}

// loadFixture reads a YAML object from testdata.
func loadFixture(t testing.TB, path string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	json, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("parse fixture %s: %v", path, err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(json); err != nil {
		t.Fatalf("decode fixture %s: %v", path, err)
	}
	return obj
}

// runFixtures assesses every fixture with checker and compares the result.
func runFixtures(t *testing.T, checker *Checker, cases []fixtureCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			health, err := checker.Assess(loadFixture(t, tc.fixture))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Assess error = %v, want error %v", err, tc.wantErr)
			}
			assertHealth(t, health, tc.status, tc.message)
		})
	}
}

// assertHealth compares a health with the expected code and message; an
// empty code expects no health.
func assertHealth(t *testing.T, health *v1alpha1.HealthStatus, status v1alpha1.HealthStatusCode, message string) {
	t.Helper()
	if status == "" {
		if health != nil {
			t.Fatalf("health = %+v, want none", *health)
		}
		return
	}
	if health == nil {
		t.Fatalf("health = none, want %s %q", status, message)
	}
	if health.Status != status || health.Message != message {
		t.Errorf("health = %s %q\n          want %s %q", health.Status, health.Message, status, message)
	}
}

func TestPendingDeletion(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{
			name:    "a pod being deleted is progressing pending deletion",
			fixture: "deletion/pod-being-deleted.yaml",
			status:  v1alpha1.HealthStatusProgressing, message: "Pending deletion",
		},
		{
			name:    "a kind without health is progressing while it is deleted",
			fixture: "deletion/config-map-being-deleted.yaml",
			status:  v1alpha1.HealthStatusProgressing, message: "Pending deletion",
		},
		{
			name:    "a hook held by the hook finalizer is assessed by its own check",
			fixture: "deletion/hook-held-by-finalizer.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "Reached expected number of succeeded pods",
		},
	})
}

func TestApplicationsHaveNoHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{name: "an Argo CD Application has no health, as since Argo CD 1.8", fixture: "application/argo-cd.yaml"},
		{name: "a Capstan Application has no health even with an observed generation", fixture: "application/capstan.yaml"},
	})
}

func TestAssessWithoutObject(t *testing.T) {
	t.Run("a nil object has no health", func(t *testing.T) {
		health, err := Assess(nil)
		if health != nil || err != nil {
			t.Fatalf("Assess(nil) = %v, %v; want nil, nil", health, err)
		}
	})
}

func TestIsHook(t *testing.T) {
	cases := []struct {
		name        string
		annotations map[string]any
		hook, skip  bool
	}{
		{name: "an object without hook annotations is not a hook"},
		{name: "a PreSync hook is a hook", annotations: map[string]any{AnnotationHook: "PreSync"}, hook: true},
		{name: "a Skip-only object is not a hook but is skipped", annotations: map[string]any{AnnotationHook: "Skip"}, skip: true},
		{name: "Skip with another type is a hook", annotations: map[string]any{AnnotationHook: "Skip, PostSync"}, hook: true},
		{name: "an unknown hook type is still a hook", annotations: map[string]any{AnnotationHook: "Whenever"}, hook: true},
		{name: "a Helm pre-install hook is a hook", annotations: map[string]any{AnnotationHelmHook: "pre-install"}, hook: true},
		{name: "a Helm crd-install hook is a normal resource", annotations: map[string]any{AnnotationHelmHook: "crd-install"}},
		{name: "an Argo CD Skip overrides a Helm hook", annotations: map[string]any{AnnotationHook: "Skip", AnnotationHelmHook: "post-install"}, skip: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "v1", "kind": "Pod",
				"metadata": map[string]any{"name": "p", "annotations": tc.annotations},
			}}
			if got := IsHook(obj); got != tc.hook {
				t.Errorf("IsHook = %v, want %v", got, tc.hook)
			}
			if got := IsSkipHook(obj); got != tc.skip {
				t.Errorf("IsSkipHook = %v, want %v", got, tc.skip)
			}
		})
	}
}
