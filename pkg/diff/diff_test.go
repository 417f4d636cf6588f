package diff

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func object(t testing.TB, doc string) *unstructured.Unstructured {
	t.Helper()
	data, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	return obj
}

const liveDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  uid: 1234
  resourceVersion: "42"
  generation: 3
  creationTimestamp: "2026-01-01T00:00:00Z"
  labels: {app: web, capstan.dev/instance: prod_web}
  annotations:
    capstan.dev/tracking-id: prod_web:apps/Deployment:prod/web
    kubectl.kubernetes.io/last-applied-configuration: "{}"
  managedFields:
  - manager: hpa
    operation: Update
    apiVersion: apps/v1
    fieldsType: FieldsV1
    fieldsV1: {"f:spec": {"f:replicas": {}}}
spec:
  replicas: 5
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.25
status:
  readyReplicas: 5
`

func TestNormalizeDropsServerOwnedAndTrackingFields(t *testing.T) {
	got := Normalize(object(t, liveDeployment))
	for _, path := range [][]string{
		{"metadata", "uid"}, {"metadata", "resourceVersion"}, {"metadata", "generation"},
		{"metadata", "creationTimestamp"}, {"metadata", "managedFields"}, {"status"},
	} {
		if _, found, _ := unstructured.NestedFieldNoCopy(got.Object, path...); found {
			t.Errorf("Normalize kept %s", strings.Join(path, "."))
		}
	}
	if got.GetLabels()["app"] != "web" || len(got.GetLabels()) != 1 {
		t.Errorf("labels after Normalize = %v, want only app=web", got.GetLabels())
	}
	if len(got.GetAnnotations()) != 0 {
		t.Errorf("annotations after Normalize = %v, want none", got.GetAnnotations())
	}
}

func TestNormalizeFoldsSecretStringData(t *testing.T) {
	secret := object(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: hunter2}\ndata: {user: YWRtaW4=}\n")
	got := Normalize(secret)
	data, _, _ := unstructured.NestedStringMap(got.Object, "data")
	if data["password"] != "aHVudGVyMg==" || data["user"] != "YWRtaW4=" {
		t.Errorf("data after folding = %v", data)
	}
	if _, found := got.Object["stringData"]; found {
		t.Errorf("stringData kept")
	}
}

func TestMaskSecretsHidesValuesButKeepsThemComparable(t *testing.T) {
	live := object(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: c2VjcmV0, b: c2VjcmV0, c: b3RoZXI=}\n")
	target := object(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: c2VjcmV0, b: bmV3, c: b3RoZXI=}\n")
	masked := MaskSecrets(live, target)
	liveData, _, _ := unstructured.NestedStringMap(masked[0].Object, "data")
	targetData, _, _ := unstructured.NestedStringMap(masked[1].Object, "data")
	for key, value := range liveData {
		if strings.Trim(value, "+") != "" {
			t.Errorf("live %s not masked: %q", key, value)
		}
	}
	if liveData["a"] != liveData["b"] || liveData["a"] != targetData["a"] {
		t.Errorf("equal values got different masks: live %v target %v", liveData, targetData)
	}
	if targetData["b"] == liveData["b"] {
		t.Errorf("a changed value got the same mask: live %v target %v", liveData, targetData)
	}
	if original, _, _ := unstructured.NestedString(live.Object, "data", "a"); original != "c2VjcmV0" {
		t.Errorf("MaskSecrets modified its input")
	}
}

func TestIgnoreRules(t *testing.T) {
	tests := []struct {
		name  string
		rule  v1alpha1.ResourceIgnoreDifferences
		path  []string
		gone  bool
		error string
	}{
		{name: "a JSON pointer removes the field", path: []string{"spec", "replicas"}, gone: true,
			rule: v1alpha1.ResourceIgnoreDifferences{Group: "apps", Kind: "Deployment", JSONPointers: []string{"/spec/replicas"}}},
		{name: "a jq path expression removes the field", path: []string{"spec", "replicas"}, gone: true,
			rule: v1alpha1.ResourceIgnoreDifferences{Group: "apps", Kind: "Deployment", JQPathExpressions: []string{".spec.replicas"}}},
		{name: "a wildcard kind matches", path: []string{"spec", "replicas"}, gone: true,
			rule: v1alpha1.ResourceIgnoreDifferences{Group: "*", Kind: "*", JSONPointers: []string{"/spec/replicas"}}},
		{name: "another kind does not match", path: []string{"spec", "replicas"}, gone: false,
			rule: v1alpha1.ResourceIgnoreDifferences{Kind: "Service", JSONPointers: []string{"/spec/replicas"}}},
		{name: "another name does not match", path: []string{"spec", "replicas"}, gone: false,
			rule: v1alpha1.ResourceIgnoreDifferences{Group: "apps", Kind: "Deployment", Name: "api", JSONPointers: []string{"/spec/replicas"}}},
		{name: "a pointer with an escaped slash is understood", path: []string{"metadata", "labels", "app"}, gone: false,
			rule: v1alpha1.ResourceIgnoreDifferences{Group: "apps", Kind: "Deployment", JSONPointers: []string{"/metadata/labels/a~1b"}}},
		{name: "a pointer to the whole object is refused",
			rule:  v1alpha1.ResourceIgnoreDifferences{Group: "apps", Kind: "Deployment", JSONPointers: []string{"/"}},
			error: "whole object"},
		{name: "a failing jq expression is reported",
			rule:  v1alpha1.ResourceIgnoreDifferences{Group: "apps", Kind: "Deployment", JQPathExpressions: []string{`error("boom")`}},
			error: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := object(t, liveDeployment)
			err := NewIgnoreRules(0, []v1alpha1.ResourceIgnoreDifferences{tt.rule}).Apply(context.Background(), obj)
			if tt.error != "" {
				if err == nil || !strings.Contains(err.Error(), tt.error) {
					t.Fatalf("Apply: got %v, want an error containing %q", err, tt.error)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			_, found, _ := unstructured.NestedFieldNoCopy(obj.Object, tt.path...)
			if found == tt.gone {
				t.Errorf("field %s present = %v, want %v", strings.Join(tt.path, "."), found, !tt.gone)
			}
			if replicas, _, _ := unstructured.NestedInt64(obj.Object, "spec", "replicas"); !tt.gone && replicas != 5 {
				t.Errorf("replicas changed to %d", replicas)
			}
		})
	}
}

// mergeApplier predicts live state by laying the target's spec over the live
// object, the way a server-side apply of a spec-only change does, and counts calls.
type mergeApplier struct {
	live  *unstructured.Unstructured
	calls int
}

func (a *mergeApplier) DryRunApply(ctx context.Context, target *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	a.calls++
	predicted := a.live.DeepCopy()
	spec, _, _ := unstructured.NestedMap(target.Object, "spec")
	_ = unstructured.SetNestedMap(predicted.Object, spec, "spec")
	return predicted, nil
}

func TestCompareAndRememberedOutcomes(t *testing.T) {
	live := object(t, liveDeployment)
	same := object(t, liveDeployment)
	changed := object(t, strings.Replace(liveDeployment, "nginx:1.25", "nginx:1.26", 1))
	applier := &mergeApplier{live: live}
	differ := NewDiffer(100)
	ctx := context.Background()

	modified, err := differ.Modified(ctx, same, live, applier, nil)
	if err != nil || modified {
		t.Fatalf("identical target: modified=%v err=%v, want false", modified, err)
	}
	modified, err = differ.Modified(ctx, changed, live, applier, nil)
	if err != nil || !modified {
		t.Fatalf("changed image: modified=%v err=%v, want true", modified, err)
	}
	calls := applier.calls
	for range 1000 {
		if _, err := differ.Modified(ctx, changed, live, applier, nil); err != nil {
			t.Fatal(err)
		}
	}
	if applier.calls != calls {
		t.Errorf("re-comparing an unchanged pair 1000 times made %d more dry-run applies, want 0", applier.calls-calls)
	}
	// A status-only change (a new resourceVersion, new status, a new time in
	// managedFields) cannot change the outcome: no new dry-run.
	live.SetResourceVersion("43")
	_ = unstructured.SetNestedField(live.Object, int64(3), "status", "availableReplicas")
	if _, err := differ.Modified(ctx, changed, live, applier, nil); err != nil {
		t.Fatal(err)
	}
	if applier.calls != calls {
		t.Errorf("a status-only change made %d dry-run applies, want 0", applier.calls-calls)
	}
	// A label someone added may: compared again.
	live.SetLabels(map[string]string{"added": "by-hand"})
	if _, err := differ.Modified(ctx, changed, live, applier, nil); err != nil {
		t.Fatal(err)
	}
	if applier.calls != calls+1 {
		t.Errorf("a new live label made %d dry-run applies, want 1", applier.calls-calls)
	}
	if modified, _ := differ.Modified(ctx, nil, live, applier, nil); !modified {
		t.Errorf("a live object without target is not reported as modified")
	}
}

func TestManagedFieldsManagersAreIgnored(t *testing.T) {
	live := object(t, liveDeployment)
	target := object(t, strings.Replace(liveDeployment, "replicas: 5", "replicas: 2", 1))
	rules := NewIgnoreRules(0, []v1alpha1.ResourceIgnoreDifferences{{Group: "apps", Kind: "Deployment", ManagedFieldsManagers: []string{"hpa"}}})
	result, err := Compare(context.Background(), target, live, &mergeApplier{live: live}, rules)
	if err != nil {
		t.Fatal(err)
	}
	if result.Modified {
		t.Errorf("replicas owned by the hpa manager counted as a difference")
	}
	text, err := TextDiff("apps/Deployment/prod/web", result.Live, result.Predicted)
	if err != nil {
		t.Fatal(err)
	}
	if text != "" {
		t.Errorf("text diff of equal objects = %q, want empty", text)
	}
}

func TestTextDiffShowsTheChangedField(t *testing.T) {
	live := Normalize(object(t, liveDeployment))
	target := Normalize(object(t, strings.Replace(liveDeployment, "nginx:1.25", "nginx:1.26", 1)))
	text, err := TextDiff("web", live, target)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "\n-      - image: nginx:1.25\n") || !strings.Contains(text, "\n+      - image: nginx:1.26\n") {
		t.Errorf("text diff does not show the image change:\n%s", text)
	}
}

func TestARememberedApplyNeedsNoDryRun(t *testing.T) {
	live := object(t, liveDeployment)
	target := object(t, liveDeployment)
	applier := &mergeApplier{live: live}
	differ := NewDiffer(100)
	if err := differ.Remember(target, live, nil, false); err != nil {
		t.Fatal(err)
	}

	modified, err := differ.Modified(context.Background(), target, live, applier, nil)

	if err != nil || modified {
		t.Errorf("Modified = %t, %v; want false from the remembered apply", modified, err)
	}
	if applier.calls != 0 {
		t.Errorf("%d dry-runs after a remembered apply, want 0", applier.calls)
	}
	changed := live.DeepCopy()
	_ = unstructured.SetNestedField(changed.Object, int64(7), "spec", "replicas")
	if _, err := differ.Modified(context.Background(), target, changed, applier, nil); err != nil || applier.calls != 1 {
		t.Errorf("a live object changed since the apply was not compared again (%d dry-runs, err %v)", applier.calls, err)
	}
}
