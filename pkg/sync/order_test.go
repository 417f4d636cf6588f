package sync

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

func TestKindOrderIsArgoCDsFullList(t *testing.T) {
	var targets []*unstructured.Unstructured
	var want []string
	for _, kind := range append(append([]string(nil), KindOrder...), "Widget") {
		namespace := "default"
		if clusterScoped[kind] {
			namespace = ""
		}
		apiVersion := "v1"
		if kind == "Widget" {
			apiVersion = "example.com/v1"
		}
		targets = append(targets, object(apiVersion, kind, namespace, "x"))
		want = append(want, "Sync/0 "+kind+"/x")
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(targets), func(i, j int) { targets[i], targets[j] = targets[j], targets[i] })

	plan := mustPlan(t, PlanInput{Targets: targets})

	if got := order(plan.Tasks); !reflect.DeepEqual(got, want) {
		t.Errorf("order:\n got %v\nwant %v", got, want)
	}
}

func TestTaskOrder(t *testing.T) {
	tests := []struct {
		name    string
		targets []*unstructured.Unstructured
		want    []string
	}{{
		name: "phases come before waves, waves before kinds, kinds before names",
		targets: []*unstructured.Unstructured{
			configMap("b"),
			configMap("a"),
			object("v1", "Service", "default", "a"),
			object("v1", "Secret", "default", "z", AnnotationSyncWave, "1"),
			job("post", AnnotationHook, "PostSync", AnnotationSyncWave, "-5"),
			job("pre", AnnotationHook, "PreSync", AnnotationSyncWave, "5"),
			object("v1", "Secret", "default", "neg", AnnotationSyncWave, "-1"),
		},
		want: []string{
			"PreSync/5 Job/pre",
			"Sync/-1 Secret/neg",
			"Sync/0 ConfigMap/a", "Sync/0 ConfigMap/b", "Sync/0 Service/a",
			"Sync/1 Secret/z",
			"PostSync/-5 Job/post",
		},
	}, {
		name: "helm.sh/hook-weight is the wave when sync-wave is absent or invalid",
		targets: []*unstructured.Unstructured{
			configMap("weighted", AnnotationHelmHookWeight, "-2"),
			configMap("both", AnnotationSyncWave, "3", AnnotationHelmHookWeight, "-7"),
			configMap("invalid", AnnotationSyncWave, "x", AnnotationHelmHookWeight, "1"),
		},
		want: []string{"Sync/-2 ConfigMap/weighted", "Sync/1 ConfigMap/invalid", "Sync/3 ConfigMap/both"},
	}, {
		name: "a namespace moves before its first user and takes its wave",
		targets: []*unstructured.Unstructured{
			object("v1", "Namespace", "", "team", AnnotationSyncWave, "5"),
			object("v1", "ConfigMap", "team", "settings"),
			configMap("elsewhere", AnnotationSyncWave, "-1"),
		},
		want: []string{"Sync/-1 ConfigMap/elsewhere", "Sync/0 Namespace/team", "Sync/0 ConfigMap/settings"},
	}, {
		name: "a namespace used by a PreSync hook moves into the PreSync phase",
		targets: []*unstructured.Unstructured{
			object("v1", "Namespace", "", "team"),
			object("batch/v1", "Job", "team", "migrate", AnnotationHook, "PreSync", AnnotationSyncWave, "-2"),
		},
		want: []string{"PreSync/-2 Namespace/team", "PreSync/-2 Job/migrate"},
	}, {
		name: "a CRD moves before its first custom resource",
		targets: []*unstructured.Unstructured{
			widgetCRD("Namespaced", AnnotationSyncWave, "3"),
			object("example.com/v1", "Widget", "default", "w", AnnotationSyncWave, "1"),
		},
		want: []string{"Sync/1 CustomResourceDefinition/widgets.example.com", "Sync/1 Widget/w"},
	}}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			plan := mustPlan(t, PlanInput{Targets: test.targets, IsNamespaced: fakeScopes("Widget")})
			if got := order(plan.Tasks); !reflect.DeepEqual(got, test.want) {
				t.Errorf("order:\n got %v\nwant %v", got, test.want)
			}
		})
	}
}

func widgetCRD(scope string, annotations ...string) *unstructured.Unstructured {
	crd := object("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "widgets.example.com", annotations...)
	_ = unstructured.SetNestedMap(crd.Object, map[string]any{
		"group": "example.com",
		"scope": scope,
		"names": map[string]any{"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
		"versions": []any{map[string]any{
			"name": "v1", "served": true, "storage": true,
			"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
		}},
	}, "spec")
	return crd
}

func TestCustomResourceOfACRDInTheSyncSkipsTheDryRun(t *testing.T) {
	cr := object("example.com/v1", "Widget", "", "w")
	plan := mustPlan(t, PlanInput{Targets: []*unstructured.Unstructured{widgetCRD("Namespaced"), cr}, IsNamespaced: fakeScopes("Widget")})

	task := plan.Tasks[1]
	if !task.SkipDryRun || task.Invalid != "" || plan.Failure != "" {
		t.Errorf("task %v: SkipDryRun=%v Invalid=%q, plan failure %q", task, task.SkipDryRun, task.Invalid, plan.Failure)
	}
	if task.key.Namespace != "default" {
		t.Errorf("namespace from the CRD's scope: got %q, want default", task.key.Namespace)
	}
}

func TestUnknownKindFailsThePlan(t *testing.T) {
	tests := []struct {
		name        string
		annotations []string
		appOptions  v1alpha1.SyncOptions
		wantFailure bool
	}{
		{name: "without options the task is invalid", wantFailure: true},
		{name: "SkipDryRunOnMissingResource on the resource lets it through", annotations: []string{AnnotationSyncOptions, "SkipDryRunOnMissingResource=true"}},
		{name: "SkipDryRunOnMissingResource on the app lets it through", appOptions: v1alpha1.SyncOptions{"SkipDryRunOnMissingResource=true"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			cr := object("example.com/v1", "Widget", "default", "w", test.annotations...)
			plan := mustPlan(t, PlanInput{Targets: []*unstructured.Unstructured{cr}, AppSyncOptions: test.appOptions, IsNamespaced: fakeScopes("Widget")})
			if got := plan.Failure != ""; got != test.wantFailure {
				t.Errorf("failure %q, want failure %v", plan.Failure, test.wantFailure)
			}
		})
	}
}

func TestPruneWavesAreMirrored(t *testing.T) {
	live := liveMap(
		configMap("created-first", AnnotationSyncWave, "1"),
		configMap("created-between", AnnotationSyncWave, "3"),
		configMap("created-last", AnnotationSyncWave, "7"),
	)
	plan := mustPlan(t, PlanInput{Live: live, Operation: v1alpha1.SyncOperation{Prune: true}})

	want := []string{"prune Sync/1 ConfigMap/created-last", "prune Sync/3 ConfigMap/created-between", "prune Sync/7 ConfigMap/created-first"}
	if got := order(plan.Tasks); !reflect.DeepEqual(got, want) {
		t.Errorf("order:\n got %v\nwant %v", got, want)
	}
}

func TestPruneLastMovesPrunesAfterTheLastSyncWave(t *testing.T) {
	targets := []*unstructured.Unstructured{configMap("kept", AnnotationSyncWave, "2"), job("post", AnnotationHook, "PostSync", AnnotationSyncWave, "9")}
	live := liveMap(configMap("old"), configMap("older", AnnotationSyncOptions, "PruneLast=true"))
	tests := []struct {
		name       string
		appOptions v1alpha1.SyncOptions
		want       []string
	}{{
		name: "only the annotated resource without the app option",
		want: []string{"prune Sync/0 ConfigMap/old", "Sync/2 ConfigMap/kept", "prune Sync/3 ConfigMap/older", "PostSync/9 Job/post"},
	}, {
		name:       "every prune with the app option",
		appOptions: v1alpha1.SyncOptions{"PruneLast=true"},
		want:       []string{"Sync/2 ConfigMap/kept", "prune Sync/3 ConfigMap/old", "prune Sync/3 ConfigMap/older", "PostSync/9 Job/post"},
	}}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			plan := mustPlan(t, PlanInput{Targets: targets, Live: live, AppSyncOptions: test.appOptions})
			if got := order(plan.Tasks); !reflect.DeepEqual(got, test.want) {
				t.Errorf("order:\n got %v\nwant %v", got, test.want)
			}
		})
	}
}

func TestMultiStep(t *testing.T) {
	tests := []struct {
		name    string
		targets []*unstructured.Unstructured
		want    bool
	}{
		{name: "one wave without hooks is one step", targets: []*unstructured.Unstructured{configMap("a"), configMap("b")}},
		{name: "two waves are several steps", targets: []*unstructured.Unstructured{configMap("a"), configMap("b", AnnotationSyncWave, "1")}, want: true},
		{name: "a hook phase makes several steps", targets: []*unstructured.Unstructured{configMap("a"), job("pre", AnnotationHook, "PreSync")}, want: true},
		{name: "a SyncFail hook makes several steps", targets: []*unstructured.Unstructured{configMap("a"), job("fail", AnnotationHook, "SyncFail")}, want: true},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			plan := mustPlan(t, PlanInput{Targets: test.targets})
			if got := multiStep(append(append([]*Task(nil), plan.Tasks...), plan.SyncFail...)); got != test.want {
				t.Errorf("multiStep = %v, want %v", got, test.want)
			}
		})
	}
}

func liveMap(objs ...*unstructured.Unstructured) map[cluster.ResourceKey]*unstructured.Unstructured {
	out := map[cluster.ResourceKey]*unstructured.Unstructured{}
	for _, obj := range objs {
		out[cluster.KeyOf(obj)] = obj
	}
	return out
}
