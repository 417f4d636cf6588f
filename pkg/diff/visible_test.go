package diff

import (
	"context"
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// appliedDeployment is a Deployment as a server-side apply by capstan left
// it, with kube-controller-manager's entries for the revision annotation and
// the status.
const appliedDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  uid: 0b5c6d0e-1234
  resourceVersion: "10"
  labels: {app: web, old: "1"}
  managedFields:
  - manager: capstan
    operation: Apply
    apiVersion: apps/v1
    time: "2026-12-06T10:00:00Z"
    fieldsType: FieldsV1
    fieldsV1: {"f:metadata": {"f:labels": {"f:app": {}, "f:old": {}}}, "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}}
  - manager: kube-controller-manager
    operation: Update
    apiVersion: apps/v1
    time: "2026-12-06T10:00:01Z"
    fieldsType: FieldsV1
    fieldsV1: {"f:metadata": {"f:annotations": {".": {}, "f:deployment.kubernetes.io/revision": {}}}}
  - manager: kube-controller-manager
    operation: Update
    subresource: status
    apiVersion: apps/v1
    time: "2026-12-06T10:00:02Z"
    fieldsType: FieldsV1
    fieldsV1: {"f:status": {"f:replicas": {}}}
spec:
  replicas: 1
  progressDeadlineSeconds: 600
  template:
    spec:
      containers:
      - {name: web, image: "nginx:1.25"}
status:
  replicas: 1
`

const webTarget = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels: {app: web}
spec:
  replicas: 1
  template:
    spec:
      containers:
      - {name: web, image: "nginx:1.25"}
`

// An outcome stands while what the comparison can see of the live object
// stands: another manager's annotation, defaults and the status do not ask
// the API server again; a field the target sets, a field capstan owns and
// capstan's own managedFields entry do.
func TestOutcomeKeyCoversWhatTheComparisonSees(t *testing.T) {
	ctx := context.Background()
	target := object(t, webTarget)
	base := object(t, appliedDeployment)
	version := 10
	next := func(mutate func(*unstructured.Unstructured)) *unstructured.Unstructured {
		obj := base.DeepCopy()
		mutate(obj)
		version++
		obj.SetResourceVersion(strconv.Itoa(version))
		return obj
	}
	tests := []struct {
		name        string
		live        *unstructured.Unstructured
		rules       *IgnoreRules
		wantDryRuns int
	}{
		{name: "another manager's annotation", wantDryRuns: 0, live: next(func(o *unstructured.Unstructured) {
			o.SetAnnotations(map[string]string{"deployment.kubernetes.io/revision": "1"})
		})},
		{name: "a status change", wantDryRuns: 0, live: next(func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(o.Object, int64(3), "status", "replicas")
		})},
		{name: "a defaulted field nobody owns", wantDryRuns: 0, live: next(func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(o.Object, int64(300), "spec", "progressDeadlineSeconds")
		})},
		{name: "a field the target sets", wantDryRuns: 1, live: next(func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(o.Object, int64(2), "spec", "replicas")
		})},
		{name: "a field inside a list the target sets", wantDryRuns: 1, live: next(func(o *unstructured.Unstructured) {
			containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
			containers[0].(map[string]any)["image"] = "nginx:1.26"
			_ = unstructured.SetNestedSlice(o.Object, containers, "spec", "template", "spec", "containers")
		})},
		{name: "a field capstan owns that the target no longer sets", wantDryRuns: 1, live: next(func(o *unstructured.Unstructured) {
			o.SetLabels(map[string]string{"app": "web", "old": "2"})
		})},
		{name: "capstan's managedFields entry", wantDryRuns: 1, live: next(func(o *unstructured.Unstructured) {
			fields := o.GetManagedFields()
			fields[0].Operation = "Update"
			o.SetManagedFields(fields)
		})},
		{name: "another manager's annotation under a jq rule", wantDryRuns: 1,
			rules: NewIgnoreRules(0, []v1alpha1.ResourceIgnoreDifferences{{Group: "apps", Kind: "Deployment",
				JQPathExpressions: []string{`select(.metadata.annotations["deployment.kubernetes.io/revision"] == "1") | .spec.replicas`}}}),
			live: next(func(o *unstructured.Unstructured) {
				o.SetAnnotations(map[string]string{"deployment.kubernetes.io/revision": "1"})
			})},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			differ := NewDiffer(100)
			applier := &mergeApplier{live: base}
			if _, err := differ.Modified(ctx, target, base, applier, test.rules); err != nil {
				t.Fatal(err)
			}
			applier.live = test.live
			before := applier.calls
			if _, err := differ.Modified(ctx, target, test.live, applier, test.rules); err != nil {
				t.Fatal(err)
			}
			if got := applier.calls - before; got != test.wantDryRuns {
				t.Errorf("%d dry runs after the change, want %d", got, test.wantDryRuns)
			}
		})
	}
}

// Without an entry of capstan in managedFields, nothing says what it owns:
// every change of the content asks again.
func TestOutcomeKeyWithoutCapstansEntry(t *testing.T) {
	ctx := context.Background()
	target := object(t, webTarget)
	live := object(t, appliedDeployment)
	fields := live.GetManagedFields()
	live.SetManagedFields(fields[1:])
	differ := NewDiffer(100)
	applier := &mergeApplier{live: live}
	if _, err := differ.Modified(ctx, target, live, applier, nil); err != nil {
		t.Fatal(err)
	}
	annotated := live.DeepCopy()
	annotated.SetAnnotations(map[string]string{"deployment.kubernetes.io/revision": "1"})
	annotated.SetResourceVersion("11")
	if _, err := differ.Modified(ctx, target, annotated, applier, nil); err != nil {
		t.Fatal(err)
	}
	if applier.calls != 2 {
		t.Errorf("%d dry runs, want 2", applier.calls)
	}
}

// The API server may hold a newer version than the cache when the dry run
// runs: kube-controller-manager or a resource action annotated the Deployment
// a moment before. Comparing that version's prediction with the older cached
// object would report the annotation as a difference (and an automated sync
// would revert it); the prediction is compared with the version it was made
// from instead.
func TestAPredictionFromANewerServerVersionIsComparedWithThatVersion(t *testing.T) {
	ctx := context.Background()
	target := object(t, webTarget)
	cached := object(t, appliedDeployment)
	spec, _, _ := unstructured.NestedMap(cached.Object, "spec")
	_ = unstructured.SetNestedMap(target.Object, spec, "spec") // applied as is
	annotated := cached.DeepCopy()
	annotated.SetAnnotations(map[string]string{"kubectl.kubernetes.io/restartedAt": "2026-12-07T00:00:00Z"})
	annotated.SetResourceVersion("11")
	drifted := cached.DeepCopy()
	_ = unstructured.SetNestedField(drifted.Object, int64(7), "spec", "replicas")
	drifted.SetResourceVersion("12")

	t.Run("an annotation written on the server meanwhile is no difference", func(t *testing.T) {
		differ := NewDiffer(100)
		applier := &readingApplier{mergeApplier{live: annotated}}
		modified, err := differ.Modified(ctx, target, cached, applier, nil)
		if err != nil || modified {
			t.Fatalf("modified=%v err=%v; want the prediction compared with the version it came from, unchanged", modified, err)
		}
		// That outcome is the newer version's: its own comparison, once the
		// watch brings it, needs no dry run.
		if modified, err := differ.Modified(ctx, target, annotated, applier, nil); err != nil || modified || applier.calls != 1 {
			t.Errorf("newer version: modified=%v err=%v after %d dry runs; want unchanged after 1", modified, err, applier.calls)
		}
	})
	t.Run("a drift on the server's newer version is reported at once", func(t *testing.T) {
		differ := NewDiffer(100)
		applier := &readingApplier{mergeApplier{live: drifted}}
		modified, err := differ.Modified(ctx, target, cached, applier, nil)
		if err != nil || !modified {
			t.Fatalf("modified=%v err=%v; want the drift of the newer version", modified, err)
		}
	})
	t.Run("without a reader the mixed comparison counts as unchanged and is not remembered", func(t *testing.T) {
		differ := NewDiffer(100)
		applier := &mergeApplier{live: drifted}
		modified, err := differ.Modified(ctx, target, cached, applier, nil)
		if err != nil || modified {
			t.Fatalf("modified=%v err=%v; want unchanged until the newer version is watched", modified, err)
		}
		if modified, err := differ.Modified(ctx, target, drifted, applier, nil); err != nil || !modified || applier.calls != 2 {
			t.Errorf("newer version: modified=%v err=%v after %d dry runs; want the drift found by a dry run of its own", modified, err, applier.calls)
		}
	})
}

// readingApplier is a mergeApplier that also reads the server's version.
type readingApplier struct{ mergeApplier }

func (a *readingApplier) ReadLive(context.Context, *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	return a.live.DeepCopy(), nil
}
