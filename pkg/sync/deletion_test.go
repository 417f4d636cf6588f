package sync

import (
	"context"
	"reflect"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

// owned tracks objs to the Application apps/guestbook and keys them.
func owned(objs ...*unstructured.Unstructured) map[cluster.ResourceKey]*unstructured.Unstructured {
	for _, obj := range objs {
		cluster.SetTracking(obj, "apps", "guestbook")
	}
	return liveMap(objs...)
}

func TestDeletionPlan(t *testing.T) {
	adopted := configMap("adopted-by-key")
	shared := configMap("shared")
	cluster.SetTracking(shared, "apps", "other")
	copied := configMap("copied")
	copied.SetAnnotations(map[string]string{cluster.TrackingAnnotation: cluster.TrackingID("apps", "guestbook", cluster.KeyOf(configMap("original")))})
	foreign := liveMap(adopted, shared, copied)
	for key, obj := range owned(configMap("mine")) {
		foreign[key] = obj
	}
	terminating := configMap("going")
	terminating.SetDeletionTimestamp(&metav1.Time{Time: now})
	live := owned(
		configMap("w0"), configMap("w5a", AnnotationSyncWave, "5"), configMap("w5b", AnnotationSyncWave, "5"),
		configMap("w9-kept", AnnotationSyncWave, "9", AnnotationSyncOptions, "Delete=false"),
		configMap("w9-helm-kept", AnnotationSyncWave, "9", AnnotationHelmResourcePolicy, "keep"),
		widgetCRD("Namespaced", AnnotationSyncWave, "10"),
		object("capstan.dev/v1alpha1", "Application", "apps", "self", AnnotationSyncWave, "10"),
	)
	self := cluster.ResourceKey{Group: "capstan.dev", Kind: "Application", Namespace: "apps", Name: "self"}
	tests := []struct {
		name            string
		in              DeletionInput
		wantDelete      []string
		wantPropagation metav1.DeletionPropagation
		wantWaiting     string
		wantDone        bool
	}{{
		name: "nothing without the resources finalizer", in: DeletionInput{Live: live}, wantDone: true,
	}, {
		name:       "the highest wave first, never CRDs, kept objects or the Application itself",
		in:         DeletionInput{Finalizers: []string{v1alpha1.ResourcesFinalizerName}, Live: live, Self: self},
		wantDelete: []string{"w5a", "w5b"}, wantPropagation: metav1.DeletePropagationForeground,
	}, {
		name:       "background with the /background finalizer",
		in:         DeletionInput{Finalizers: []string{v1alpha1.BackgroundPropagationPolicyFinalizer}, Live: owned(configMap("a"))},
		wantDelete: []string{"a"}, wantPropagation: metav1.DeletePropagationBackground,
	}, {
		name:       "foreground with the /foreground finalizer",
		in:         DeletionInput{Finalizers: []string{v1alpha1.ForegroundPropagationPolicyFinalizer}, Live: owned(configMap("a"))},
		wantDelete: []string{"a"}, wantPropagation: metav1.DeletePropagationForeground,
	}, {
		name:            "objects being deleted are waited for",
		in:              DeletionInput{Finalizers: []string{v1alpha1.ResourcesFinalizerName}, Live: owned(configMap("a"), terminating)},
		wantPropagation: metav1.DeletePropagationForeground, wantWaiting: "waiting for 1 objects being deleted",
	}, {
		name:            "Delete=confirm waits for approval",
		in:              DeletionInput{Finalizers: []string{v1alpha1.ResourcesFinalizerName}, Live: owned(configMap("a", AnnotationSyncOptions, "Delete=confirm"))},
		wantPropagation: metav1.DeletePropagationForeground, wantWaiting: "waiting for deletion confirmation of /ConfigMap/default/a",
	}, {
		name: "Delete=confirm once approved",
		in: DeletionInput{Finalizers: []string{v1alpha1.ResourcesFinalizerName}, DeletionApproved: true,
			Live: owned(configMap("a", AnnotationSyncOptions, "Delete=confirm"))},
		wantDelete: []string{"a"}, wantPropagation: metav1.DeletePropagationForeground,
	}, {
		name: "Delete=false on the app keeps everything",
		in: DeletionInput{Finalizers: []string{v1alpha1.ResourcesFinalizerName}, AppSyncOptions: v1alpha1.SyncOptions{"Delete=false"},
			Live: owned(configMap("a"))},
		wantPropagation: metav1.DeletePropagationForeground, wantDone: true,
	}, {
		name:            "done when only kept objects remain",
		in:              DeletionInput{Finalizers: []string{v1alpha1.ResourcesFinalizerName}, Live: owned(widgetCRD("Namespaced"))},
		wantPropagation: metav1.DeletePropagationForeground, wantDone: true,
	}, {
		name:       "only objects tracked to the Application: not those adopted by key, shared with another or with a copied annotation",
		in:         DeletionInput{Finalizers: []string{v1alpha1.ResourcesFinalizerName}, Live: foreign},
		wantDelete: []string{"mine"}, wantPropagation: metav1.DeletePropagationForeground,
	}, {
		name:            "done when only objects of others remain",
		in:              DeletionInput{Finalizers: []string{v1alpha1.ResourcesFinalizerName}, Live: liveMap(adopted, shared, copied)},
		wantPropagation: metav1.DeletePropagationForeground, wantDone: true,
	}}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			in := test.in
			in.AppNamespace, in.AppName = "apps", "guestbook"
			step := DeletionPlan(in)
			var names []string
			for _, obj := range step.Delete {
				names = append(names, obj.GetName())
			}
			if !reflect.DeepEqual(names, test.wantDelete) || step.Propagation != test.wantPropagation ||
				step.Waiting != test.wantWaiting || step.Done != test.wantDone {
				t.Errorf("step = delete %v, %q, waiting %q, done %v; want %v, %q, %q, %v",
					names, step.Propagation, step.Waiting, step.Done, test.wantDelete, test.wantPropagation, test.wantWaiting, test.wantDone)
			}
		})
	}
}

func TestDeletionStepExecute(t *testing.T) {
	fake := newFakeCluster()
	for _, name := range []string{"a", "b"} {
		fake.put(configMap(name))
	}
	live := fake.live()
	for _, obj := range live {
		cluster.SetTracking(obj, "apps", "guestbook")
	}
	step := DeletionPlan(DeletionInput{Finalizers: []string{v1alpha1.BackgroundPropagationPolicyFinalizer}, Live: live,
		AppNamespace: "apps", AppName: "guestbook"})

	if err := step.Execute(context.Background(), fake); err != nil {
		t.Fatal(err)
	}
	if len(fake.objects) != 0 || fake.deletions["a"] != metav1.DeletePropagationBackground {
		t.Errorf("left %v, deletions %v", fake.objects, fake.deletions)
	}
	if err := step.Execute(context.Background(), fake); err != nil {
		t.Errorf("deleting again: %v", err)
	}
}

func TestDeletionHooks(t *testing.T) {
	fake := newFakeCluster()
	plan := mustPlan(t, PlanInput{Targets: []*unstructured.Unstructured{
		job("before", AnnotationHook, "PreDelete", AnnotationHookDeletePolicy, "HookSucceeded"),
		configMap("a"),
	}})
	in := func() DeletionHooksInput {
		return DeletionHooksInput{Hooks: plan.PreDelete, Live: fake.live(), Client: fake}
	}

	state, err := RunDeletionHooks(context.Background(), in())
	if err != nil || state.Done || state.Message != "created 1 PreDelete hooks" {
		t.Fatalf("first run = %+v, %v", state, err)
	}
	if state, _ := RunDeletionHooks(context.Background(), in()); state.Done || state.Message != "waiting for 1 PreDelete hooks to complete" {
		t.Errorf("while running = %+v", state)
	}
	fake.tick()
	if state, _ := RunDeletionHooks(context.Background(), in()); !state.Done {
		t.Errorf("after completion = %+v", state)
	}
	if done, err := CleanupDeletionHooks(context.Background(), in()); err != nil || done {
		t.Errorf("cleanup = %v, %v; want a deletion to wait for", done, err)
	}
	if done, _ := CleanupDeletionHooks(context.Background(), in()); !done {
		t.Errorf("cleanup not done once the hook is gone")
	}
	if !slices.Equal(fake.applied(), []string{"apply Job/before", "delete Job/before"}) {
		t.Errorf("changes = %v", fake.applied())
	}
}

func TestFailedDeletionHookIsDeletedForTheNextAttempt(t *testing.T) {
	fake := newFakeCluster()
	plan := mustPlan(t, PlanInput{Targets: []*unstructured.Unstructured{job("before", AnnotationHook, "PreDelete", "test/fail", "true")}})
	in := func() DeletionHooksInput {
		return DeletionHooksInput{Hooks: plan.PreDelete, Live: fake.live(), Client: fake}
	}

	_, _ = RunDeletionHooks(context.Background(), in())
	fake.tick()
	state, err := RunDeletionHooks(context.Background(), in())

	if err != nil || !state.Failed || state.Message != "PreDelete hook(s) failed: default/before" {
		t.Errorf("state = %+v, %v", state, err)
	}
	if len(fake.objects) != 0 {
		t.Errorf("the failed hook was kept")
	}
}

func TestDeletionHookTypes(t *testing.T) {
	tests := []struct {
		name      string
		targets   []*unstructured.Unstructured
		pre, post bool
	}{
		{name: "no hooks", targets: []*unstructured.Unstructured{configMap("a")}},
		{name: "a PreDelete hook", targets: []*unstructured.Unstructured{job("j", AnnotationHook, "PreDelete")}, pre: true},
		{name: "a Helm post-delete hook", targets: []*unstructured.Unstructured{job("j", "helm.sh/hook", "post-delete")}, post: true},
		{name: "both on one object", targets: []*unstructured.Unstructured{job("j", AnnotationHook, "PreDelete,PostDelete")}, pre: true, post: true},
		{name: "a Helm hook ignored next to an Argo CD hook", targets: []*unstructured.Unstructured{
			job("j", "helm.sh/hook", "pre-delete"), job("k", AnnotationHook, "PreSync")}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			pre, post := DeletionHookTypes(test.targets)
			if pre != test.pre || post != test.post {
				t.Errorf("DeletionHookTypes = %t, %t; want %t, %t", pre, post, test.pre, test.post)
			}
		})
	}
}
