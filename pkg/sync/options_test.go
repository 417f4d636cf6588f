package sync

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

func TestParseAppOptions(t *testing.T) {
	defaults := AppOptions{PrunePropagationPolicy: metav1.DeletePropagationForeground, ClientSideApplyMigration: true}
	tests := []struct {
		name      string
		app, op   []string
		want      AppOptions
		wantError bool
	}{
		{name: "defaults", want: defaults},
		{name: "ApplyOutOfSyncOnly", app: []string{"ApplyOutOfSyncOnly=true"}, want: with(defaults, func(o *AppOptions) { o.ApplyOutOfSyncOnly = true })},
		{name: "PrunePropagationPolicy=background", app: []string{"PrunePropagationPolicy=background"}, want: with(defaults, func(o *AppOptions) { o.PrunePropagationPolicy = metav1.DeletePropagationBackground })},
		{name: "PrunePropagationPolicy=orphan", app: []string{"PrunePropagationPolicy=orphan"}, want: with(defaults, func(o *AppOptions) { o.PrunePropagationPolicy = metav1.DeletePropagationOrphan })},
		{name: "PrunePropagationPolicy=sideways is refused", app: []string{"PrunePropagationPolicy=sideways"}, wantError: true},
		{name: "ClientSideApplyMigration=false", app: []string{"ClientSideApplyMigration=false"}, want: with(defaults, func(o *AppOptions) { o.ClientSideApplyMigration = false })},
		{name: "FailOnSharedResource", app: []string{"FailOnSharedResource=true"}, want: with(defaults, func(o *AppOptions) { o.FailOnSharedResource = true })},
		{name: "RespectIgnoreDifferences", app: []string{"RespectIgnoreDifferences=true"}, want: with(defaults, func(o *AppOptions) { o.RespectIgnoreDifferences = true })},
		{name: "CreateNamespace", app: []string{" CreateNamespace = true "}, want: with(defaults, func(o *AppOptions) { o.CreateNamespace = true })},
		{name: "the operation's options win", app: []string{"CreateNamespace=true"}, op: []string{"CreateNamespace=false"}, want: defaults},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			got, err := ParseAppOptions(test.app, test.op)
			if (err != nil) != test.wantError {
				t.Fatalf("error = %v, want error %v", err, test.wantError)
			}
			if err != nil {
				return
			}
			got.set = nil
			if !reflect.DeepEqual(got, test.want) {
				t.Errorf("got %+v, want %+v", got, test.want)
			}
		})
	}
}

func with(options AppOptions, change func(*AppOptions)) AppOptions {
	change(&options)
	return options
}

func TestResolveResourceOptions(t *testing.T) {
	defaults := ResourceOptions{Validate: true, ServerSideApply: true}
	tests := []struct {
		name       string
		app        []string
		annotation string
		force      bool
		want       ResourceOptions
	}{
		{name: "defaults: validate, server-side apply", want: defaults},
		{name: "Prune=false on the resource", annotation: "Prune=false", want: withResource(defaults, func(o *ResourceOptions) { o.Prune = PruneDisabled })},
		{name: "Prune=confirm on the app", app: []string{"Prune=confirm"}, want: withResource(defaults, func(o *ResourceOptions) { o.Prune = PruneConfirm })},
		{name: "the resource's Prune wins over the app's", app: []string{"Prune=false"}, annotation: "Prune=true", want: defaults},
		{name: "Delete=false", annotation: "Delete=false", want: withResource(defaults, func(o *ResourceOptions) { o.Delete = DeleteDisabled })},
		{name: "Delete=confirm on the app", app: []string{"Delete=confirm"}, want: withResource(defaults, func(o *ResourceOptions) { o.Delete = DeleteConfirm })},
		{name: "Validate=false", annotation: "Validate=false", want: withResource(defaults, func(o *ResourceOptions) { o.Validate = false })},
		{name: "Validate=false on the app", app: []string{"Validate=false"}, want: withResource(defaults, func(o *ResourceOptions) { o.Validate = false })},
		{name: "SkipDryRunOnMissingResource", annotation: "SkipDryRunOnMissingResource=true", want: withResource(defaults, func(o *ResourceOptions) { o.SkipDryRunOnMissingResource = true })},
		{name: "PruneLast on the resource", annotation: "PruneLast=true", want: withResource(defaults, func(o *ResourceOptions) { o.PruneLast = true })},
		{name: "PruneLast on the app", app: []string{"PruneLast=true"}, want: withResource(defaults, func(o *ResourceOptions) { o.PruneLast = true })},
		{name: "Replace on the app", app: []string{"Replace=true"}, want: withResource(defaults, func(o *ResourceOptions) { o.Replace = true })},
		{name: "Replace=false on the resource disables the app's", app: []string{"Replace=true"}, annotation: "Replace=false", want: defaults},
		{name: "Force on the resource", annotation: "Force=true,Replace=true", want: withResource(defaults, func(o *ResourceOptions) { o.Force, o.Replace = true, true })},
		{name: "Force from the sync strategy", force: true, want: withResource(defaults, func(o *ResourceOptions) { o.Force = true })},
		{name: "ServerSideApply=false on the app", app: []string{"ServerSideApply=false"}, want: withResource(defaults, func(o *ResourceOptions) { o.ServerSideApply = false })},
		{name: "ServerSideApply=true on the resource wins over the app's false", app: []string{"ServerSideApply=false"}, annotation: "ServerSideApply=true", want: defaults},
		{name: "several options with spaces", annotation: " Prune=false , Validate=false ", want: withResource(defaults, func(o *ResourceOptions) { o.Prune, o.Validate = PruneDisabled, false })},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			app, err := ParseAppOptions(test.app)
			if err != nil {
				t.Fatal(err)
			}
			obj := configMap("c")
			if test.annotation != "" {
				obj = configMap("c", AnnotationSyncOptions, test.annotation)
			}
			if got := ResolveResourceOptions(app, obj, test.force); got != test.want {
				t.Errorf("got %+v, want %+v", got, test.want)
			}
		})
	}
}

func withResource(options ResourceOptions, change func(*ResourceOptions)) ResourceOptions {
	change(&options)
	return options
}

func TestCreateNamespaceTask(t *testing.T) {
	metadata := &v1alpha1.ManagedNamespaceMetadata{Labels: map[string]string{"team": "a"}, Annotations: map[string]string{"owner": "b"}}
	liveNamespace := object("v1", "Namespace", "", "apps")
	tests := []struct {
		name     string
		options  v1alpha1.SyncOptions
		metadata *v1alpha1.ManagedNamespaceMetadata
		live     *unstructured.Unstructured
		targets  []*unstructured.Unstructured
		want     bool
	}{
		{name: "a missing namespace is created", options: v1alpha1.SyncOptions{"CreateNamespace=true"}, want: true},
		{name: "not without the option"},
		{name: "an existing namespace is left alone", options: v1alpha1.SyncOptions{"CreateNamespace=true"}, live: liveNamespace},
		{name: "an existing namespace gets managed metadata", options: v1alpha1.SyncOptions{"CreateNamespace=true"}, live: liveNamespace, metadata: metadata, want: true},
		{name: "not when the namespace is a target", options: v1alpha1.SyncOptions{"CreateNamespace=true"}, targets: []*unstructured.Unstructured{object("v1", "Namespace", "", "apps")}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			plan := mustPlan(t, PlanInput{
				DestinationNamespace: "apps", AppSyncOptions: test.options, ManagedNamespaceMetadata: test.metadata,
				LiveNamespace: test.live, Targets: append(test.targets, object("v1", "ConfigMap", "", "c")),
			})
			var task *Task
			for _, candidate := range plan.Tasks {
				if candidate.CreatesNamespace {
					task = candidate
				}
			}
			if (task != nil) != test.want {
				t.Fatalf("namespace task %v, want one: %v (tasks %v)", task, test.want, order(plan.Tasks))
			}
			if task == nil {
				return
			}
			if task.Phase != v1alpha1.SyncPhasePreSync || task.key != (cluster.ResourceKey{Kind: "Namespace", Name: "apps"}) {
				t.Errorf("task = %v", task)
			}
			if test.metadata != nil && (task.Target.GetLabels()["team"] != "a" || task.Target.GetAnnotations()["owner"] != "b") {
				t.Errorf("metadata not applied: %v", task.Target.Object["metadata"])
			}
			if _, tracked := task.Target.GetAnnotations()[cluster.TrackingAnnotation]; tracked {
				t.Errorf("the created namespace is tracked, so it would be pruned")
			}
		})
	}
}

func TestFailOnSharedResource(t *testing.T) {
	shared := configMap("shared")
	cluster.SetTracking(shared, "apps", "other")
	in := PlanInput{AppNamespace: "apps", AppName: "web", Targets: []*unstructured.Unstructured{configMap("shared")}, Live: liveMap(shared)}

	if plan := mustPlan(t, in); plan.Failure != "" {
		t.Errorf("without the option the plan fails: %q", plan.Failure)
	}
	in.AppSyncOptions = v1alpha1.SyncOptions{"FailOnSharedResource=true"}
	want := "Shared resource found: ConfigMap default/shared is part of application apps_other"
	if plan := mustPlan(t, in); plan.Failure != want {
		t.Errorf("failure = %q, want %q", plan.Failure, want)
	}
}

func TestRespectIgnoreDifferences(t *testing.T) {
	target := deployment("web")
	_ = unstructured.SetNestedField(target.Object, int64(3), "spec", "replicas")
	_ = unstructured.SetNestedField(target.Object, "git", "metadata", "labels", "from")
	_ = unstructured.SetNestedSlice(target.Object, []any{map[string]any{"name": "app", "image": "app:git"}}, "spec", "template", "spec", "containers")
	live := deployment("web")
	_ = unstructured.SetNestedField(live.Object, int64(7), "spec", "replicas")
	_ = unstructured.SetNestedSlice(live.Object, []any{map[string]any{"name": "app", "image": "app:live"}}, "spec", "template", "spec", "containers")
	rules := []v1alpha1.ResourceIgnoreDifferences{{
		Group: "apps", Kind: "Deployment",
		JSONPointers:      []string{"/spec/replicas", "/metadata/labels/from"},
		JQPathExpressions: []string{`.spec.template.spec.containers[] | select(.name == "app") | .image`},
	}}
	in := PlanInput{Targets: []*unstructured.Unstructured{target}, Live: liveMap(live), IgnoreDifferences: rules}

	plan := mustPlan(t, in)
	if replicas, _, _ := unstructured.NestedInt64(plan.Tasks[0].Target.Object, "spec", "replicas"); replicas != 3 {
		t.Errorf("without the option the target changed: replicas %d", replicas)
	}

	in.AppSyncOptions = v1alpha1.SyncOptions{"RespectIgnoreDifferences=true"}
	got := mustPlan(t, in).Tasks[0].Target
	if replicas, _, _ := unstructured.NestedInt64(got.Object, "spec", "replicas"); replicas != 7 {
		t.Errorf("replicas = %d, want the live 7", replicas)
	}
	if _, found := got.GetLabels()["from"]; found {
		t.Errorf("a field live lacks stays in the target: %v", got.GetLabels())
	}
	containers, _, _ := unstructured.NestedSlice(got.Object, "spec", "template", "spec", "containers")
	if image := containers[0].(map[string]any)["image"]; image != "app:live" {
		t.Errorf("image = %v, want the live app:live", image)
	}
	if replicas, _, _ := unstructured.NestedInt64(target.Object, "spec", "replicas"); replicas != 3 {
		t.Errorf("planning changed the caller's target")
	}
}

func TestClientSideApplyMigrationManagers(t *testing.T) {
	annotated := configMap("custom", AnnotationCSAMigrationManager, "my-kubectl")
	tests := []struct {
		name    string
		options v1alpha1.SyncOptions
		target  *unstructured.Unstructured
		want    []string
	}{
		{name: "kubectl's manager and Capstan's own updates by default", target: configMap("c"), want: []string{DefaultCSAMigrationManager, FieldManager}},
		{name: "the annotation names the manager", target: annotated, want: []string{"my-kubectl", FieldManager}},
		{name: "none with ClientSideApplyMigration=false", options: v1alpha1.SyncOptions{"ClientSideApplyMigration=false"}, target: configMap("c")},
		{name: "none without server-side apply", options: v1alpha1.SyncOptions{"ServerSideApply=false"}, target: configMap("c")},
		{name: "none with Replace", options: v1alpha1.SyncOptions{"Replace=true"}, target: configMap("c")},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			plan := mustPlan(t, PlanInput{Targets: []*unstructured.Unstructured{test.target}, AppSyncOptions: test.options})
			if got := plan.Tasks[0].MigrateManagers; !reflect.DeepEqual(got, test.want) {
				t.Errorf("MigrateManagers = %v, want %v", got, test.want)
			}
		})
	}
}
