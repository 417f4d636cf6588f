package sync

import (
	"reflect"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

func TestHookTypes(t *testing.T) {
	tests := []struct {
		name        string
		annotations []string
		hook, skip  bool
		want        []v1alpha1.HookType
	}{
		{name: "a plain resource is no hook"},
		{name: "Argo CD's annotation", annotations: []string{AnnotationHook, "PreSync"}, hook: true, want: []v1alpha1.HookType{"PreSync"}},
		{name: "several types with spaces", annotations: []string{AnnotationHook, "PreSync, PostSync"}, hook: true, want: []v1alpha1.HookType{"PreSync", "PostSync"}},
		{name: "every Argo CD type", annotations: []string{AnnotationHook, "PreSync,Sync,PostSync,SyncFail,PreDelete,PostDelete"}, hook: true,
			want: []v1alpha1.HookType{"PreSync", "Sync", "PostSync", "SyncFail", "PreDelete", "PostDelete"}},
		{name: "unknown types are ignored but still make a hook", annotations: []string{AnnotationHook, "Sometime"}, hook: true},
		{name: "Skip alone", annotations: []string{AnnotationHook, "Skip"}, skip: true, want: []v1alpha1.HookType{"Skip"}},
		{name: "Skip with another type is a hook", annotations: []string{AnnotationHook, "Skip,PreSync"}, hook: true, want: []v1alpha1.HookType{"Skip", "PreSync"}},
		{name: "helm pre-install", annotations: []string{AnnotationHelmHook, "pre-install"}, hook: true, want: []v1alpha1.HookType{"PreSync"}},
		{name: "helm pre-upgrade", annotations: []string{AnnotationHelmHook, "pre-upgrade"}, hook: true, want: []v1alpha1.HookType{"PreSync"}},
		{name: "helm post-install and post-upgrade", annotations: []string{AnnotationHelmHook, "post-install,post-upgrade"}, hook: true, want: []v1alpha1.HookType{"PostSync"}},
		{name: "helm pre-delete", annotations: []string{AnnotationHelmHook, "pre-delete"}, hook: true, want: []v1alpha1.HookType{"PreDelete"}},
		{name: "helm post-delete", annotations: []string{AnnotationHelmHook, "post-delete"}, hook: true, want: []v1alpha1.HookType{"PostDelete"}},
		{name: "helm crd-install is a regular resource", annotations: []string{AnnotationHelmHook, "crd-install"}},
		{name: "helm tests are hooks that never run", annotations: []string{AnnotationHelmHook, "test"}, hook: true},
		{name: "helm rollback hooks never run", annotations: []string{AnnotationHelmHook, "pre-rollback"}, hook: true},
		{name: "Argo CD's annotation wins over helm's", annotations: []string{AnnotationHook, "PostSync", AnnotationHelmHook, "pre-install"}, hook: true, want: []v1alpha1.HookType{"PostSync"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			obj := job("j", test.annotations...)
			rules := NewHookRules(nil)
			if got := rules.IsHook(obj); got != test.hook {
				t.Errorf("IsHook = %v, want %v", got, test.hook)
			}
			if got := rules.IsSkip(obj); got != test.skip {
				t.Errorf("IsSkip = %v, want %v", got, test.skip)
			}
			if got := rules.Types(obj); !reflect.DeepEqual(got, test.want) {
				t.Errorf("Types = %v, want %v", got, test.want)
			}
		})
	}
}

func TestHelmHooksAreIgnoredWhenTheAppHasArgoCDHooks(t *testing.T) {
	helmHook := job("helm", AnnotationHelmHook, "pre-install")
	argoHook := job("argo", AnnotationHook, "PostSync")

	plan := mustPlan(t, PlanInput{Targets: []*unstructured.Unstructured{helmHook, argoHook}})

	want := []string{"Sync/0 Job/helm", "PostSync/0 Job/argo"}
	if got := order(plan.Tasks); !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if plan.Tasks[0].Hook {
		t.Errorf("the helm hook is a regular resource in an app with Argo CD hooks")
	}
}

func TestDeletePolicies(t *testing.T) {
	tests := []struct {
		name        string
		annotations []string
		want        []HookDeletePolicy
	}{
		{name: "BeforeHookCreation by default", want: []HookDeletePolicy{BeforeHookCreation}},
		{name: "Argo CD's policies", annotations: []string{AnnotationHookDeletePolicy, "HookSucceeded, HookFailed"}, want: []HookDeletePolicy{HookSucceeded, HookFailed}},
		{name: "unknown policies leave the default", annotations: []string{AnnotationHookDeletePolicy, "Never"}, want: []HookDeletePolicy{BeforeHookCreation}},
		{name: "helm's policies", annotations: []string{AnnotationHelmHookDeletePolicy, "before-hook-creation,hook-succeeded,hook-failed"},
			want: []HookDeletePolicy{BeforeHookCreation, HookSucceeded, HookFailed}},
		{name: "both, without repeats", annotations: []string{AnnotationHookDeletePolicy, "HookSucceeded", AnnotationHelmHookDeletePolicy, "hook-succeeded,hook-failed"},
			want: []HookDeletePolicy{HookSucceeded, HookFailed}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := DeletePolicies(job("j", test.annotations...)); !reflect.DeepEqual(got, test.want) {
				t.Errorf("DeletePolicies = %v, want %v", got, test.want)
			}
		})
	}
}

func TestHookName(t *testing.T) {
	tests := []struct {
		name, generateName, revision, operationID string
		phase                                     v1alpha1.SyncPhase
		want                                      string
	}{
		{name: "revision cut to 7 characters, lower case", generateName: "migrate-", revision: "ABCDEF1234567", phase: "PreSync", operationID: "1700000000", want: "migrate-abcdef1-presync-1700000000"},
		{name: "short revision kept", generateName: "check-", revision: "v1", phase: "PostSync", operationID: "42", want: "check-v1-postsync-42"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := HookName(test.generateName, test.revision, test.phase, test.operationID); got != test.want {
				t.Errorf("HookName = %q, want %q", got, test.want)
			}
		})
	}
}

func TestGenerateNameHooksAreNamedPerOperation(t *testing.T) {
	hook := job("", AnnotationHook, "PreSync,PostSync")
	hook.SetGenerateName("smoke-")
	in := PlanInput{
		AppNamespace: "apps", AppName: "web", Revision: "0123456789abcdef",
		Targets: []*unstructured.Unstructured{hook}, OperationID: "1700000000",
	}

	first, again := mustPlan(t, in), mustPlan(t, in)
	in.OperationID = "1700000099"
	next := mustPlan(t, in)

	names := func(plan *Plan) []string {
		var out []string
		for _, task := range plan.Tasks {
			out = append(out, task.Target.GetName())
		}
		return out
	}
	want := []string{"smoke-0123456-presync-1700000000", "smoke-0123456-postsync-1700000000"}
	if got := names(first); !reflect.DeepEqual(got, want) {
		t.Fatalf("names = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(names(again), want) {
		t.Errorf("planning the same operation again gave %v", names(again))
	}
	if reflect.DeepEqual(names(next), want) {
		t.Errorf("another operation reused the names %v", want)
	}
	for _, task := range first.Tasks {
		if !slices.Contains(task.Target.GetFinalizers(), HookFinalizer) {
			t.Errorf("%s has no hook finalizer", task)
		}
		tracking, ok := cluster.TrackingOf(task.Target)
		if !ok || tracking.AppInstance != "apps_web" {
			t.Errorf("%s is not tracked to apps/web: %v", task, task.Target.GetAnnotations())
		}
		if task.Target.GetGenerateName() != "" {
			t.Errorf("%s keeps generateName", task)
		}
	}
	if hook.GetName() != "" || len(hook.GetFinalizers()) > 0 {
		t.Errorf("planning changed the caller's target: %v", hook.Object["metadata"])
	}
}

func TestHooksDoNotRun(t *testing.T) {
	targets := []*unstructured.Unstructured{configMap("a"), configMap("b"), job("pre", AnnotationHook, "PreSync")}
	tests := []struct {
		name      string
		operation v1alpha1.SyncOperation
		want      []string
	}{{
		name:      "under selective sync, which syncs only the selected resources",
		operation: v1alpha1.SyncOperation{Resources: []v1alpha1.SyncOperationResource{{Kind: "ConfigMap", Name: "b"}}},
		want:      []string{"Sync/0 ConfigMap/b"},
	}, {
		name:      "with the apply strategy",
		operation: v1alpha1.SyncOperation{SyncStrategy: &v1alpha1.SyncStrategy{Apply: &v1alpha1.SyncStrategyApply{}}},
		want:      []string{"Sync/0 ConfigMap/a", "Sync/0 ConfigMap/b"},
	}}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			plan := mustPlan(t, PlanInput{Targets: targets, Operation: test.operation})
			if got := order(plan.Tasks); !reflect.DeepEqual(got, test.want) {
				t.Errorf("order = %v, want %v", got, test.want)
			}
		})
	}
}

func TestSelectiveSyncMatching(t *testing.T) {
	targets := []*unstructured.Unstructured{configMap("a"), object("v1", "ConfigMap", "other", "a"), object("apps/v1", "Deployment", "default", "a")}
	live := liveMap(configMap("gone"))
	tests := []struct {
		name     string
		resource v1alpha1.SyncOperationResource
		want     []string
	}{
		{name: "an empty namespace matches every namespace", resource: v1alpha1.SyncOperationResource{Kind: "ConfigMap", Name: "a"}, want: []string{"Sync/0 ConfigMap/a", "Sync/0 ConfigMap/a"}},
		{name: "a namespace narrows", resource: v1alpha1.SyncOperationResource{Kind: "ConfigMap", Name: "a", Namespace: "other"}, want: []string{"Sync/0 ConfigMap/a"}},
		{name: "wildcards", resource: v1alpha1.SyncOperationResource{Group: "*", Kind: "*", Name: "a"}, want: []string{"Sync/0 ConfigMap/a", "Sync/0 ConfigMap/a", "Sync/0 Deployment/a"}},
		{name: "a selected prune", resource: v1alpha1.SyncOperationResource{Kind: "ConfigMap", Name: "gone"}, want: []string{"prune Sync/0 ConfigMap/gone"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			plan := mustPlan(t, PlanInput{Targets: targets, Live: live, Operation: v1alpha1.SyncOperation{Resources: []v1alpha1.SyncOperationResource{test.resource}}})
			if got := order(plan.Tasks); !reflect.DeepEqual(got, test.want) {
				t.Errorf("order = %v, want %v", got, test.want)
			}
		})
	}
}

func TestHooksAndSkipObjectsAreNeverPruned(t *testing.T) {
	live := liveMap(
		job("old-hook", AnnotationHook, "PostSync"),
		configMap("skipped", AnnotationHook, "Skip"),
		configMap("orphan"),
	)
	targets := []*unstructured.Unstructured{configMap("skipped", AnnotationHook, "Skip")}
	plan := mustPlan(t, PlanInput{Targets: targets, Live: live, Operation: v1alpha1.SyncOperation{Prune: true}})

	want := []string{"prune Sync/0 ConfigMap/orphan"}
	if got := order(plan.Tasks); !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}

func TestDeletionHooksArePlannedApart(t *testing.T) {
	tests := []struct {
		name string
		hook *unstructured.Unstructured
		pre  bool
	}{
		{name: "Argo CD PreDelete", hook: job("hook", AnnotationHook, "PreDelete"), pre: true},
		{name: "Argo CD PostDelete", hook: job("hook", AnnotationHook, "PostDelete")},
		{name: "helm pre-delete", hook: job("hook", AnnotationHelmHook, "pre-delete"), pre: true},
		{name: "helm post-delete", hook: job("hook", AnnotationHelmHook, "post-delete")},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			plan := mustPlan(t, PlanInput{Targets: []*unstructured.Unstructured{test.hook, configMap("a")}})
			if got := order(plan.Tasks); !reflect.DeepEqual(got, []string{"Sync/0 ConfigMap/a"}) {
				t.Errorf("sync tasks = %v", got)
			}
			hooks, other := plan.PostDelete, plan.PreDelete
			if test.pre {
				hooks, other = other, hooks
			}
			if len(hooks) != 1 || hooks[0].Target.GetName() != "hook" || len(other) != 0 {
				t.Errorf("PreDelete = %v, PostDelete = %v", order(plan.PreDelete), order(plan.PostDelete))
			}
		})
	}
}
