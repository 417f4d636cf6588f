package health

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// objectCase is an object of the kind under test, written as YAML without
// apiVersion and kind, and the health it must get.
type objectCase struct {
	name string
	// object is YAML; metadata.name defaults to "example".
	object  string
	status  v1alpha1.HealthStatusCode
	message string
}

// runKind assesses every case as an object of apiVersion and kind.
func runKind(t *testing.T, checker *Checker, apiVersion, kind string, cases []objectCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(kind+": "+tc.name, func(t *testing.T) {
			obj := kindObject(t, apiVersion, kind, tc.object)
			health, err := checker.Assess(obj)
			if err != nil {
				t.Fatalf("Assess: %v", err)
			}
			assertHealth(t, health, tc.status, tc.message)
		})
	}
}

// kindObject decodes a YAML object and sets its apiVersion and kind.
func kindObject(t testing.TB, apiVersion, kind, object string) *unstructured.Unstructured {
	t.Helper()
	content := map[string]any{}
	if err := yaml.Unmarshal([]byte(object), &content); err != nil {
		t.Fatalf("parse %s object: %v\n%s", kind, err, object)
	}
	obj := &unstructured.Unstructured{Object: content}
	obj.SetAPIVersion(apiVersion)
	obj.SetKind(kind)
	if obj.GetName() == "" {
		obj.SetName("example")
	}
	// Round-trip through JSON, as objects read from a cluster are.
	data, err := obj.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	decoded := &unstructured.Unstructured{}
	if err := decoded.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	return decoded
}

const (
	healthy     = v1alpha1.HealthStatusHealthy
	progressing = v1alpha1.HealthStatusProgressing
	degraded    = v1alpha1.HealthStatusDegraded
	suspended   = v1alpha1.HealthStatusSuspended
	unknown     = v1alpha1.HealthStatusUnknown
	missingCode = v1alpha1.HealthStatusMissing
)

func TestCustomResourceBeingDeletedNamesItsFinalizers(t *testing.T) {
	runKind(t, &Checker{}, "cert-manager.io/v1", "Certificate", []objectCase{
		{name: "finalizers hold it", object: `metadata: {deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: [example.com/a, example.com/b]}`,
			status: progressing, message: "Pending deletion; blocked by finalizers: example.com/a, example.com/b"},
		{name: "without finalizers", object: `metadata: {deletionTimestamp: "2026-01-01T00:00:00Z"}`,
			status: progressing, message: "Pending deletion"},
	})
	runKind(t, &Checker{}, "v1", "ConfigMap", []objectCase{
		{name: "a built-in kind keeps Argo CD's message", object: `metadata: {deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: [example.com/a]}`,
			status: progressing, message: "Pending deletion"},
	})
}
