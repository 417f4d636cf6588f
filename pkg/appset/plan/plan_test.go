package plan

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/generators"
	"capstan.dev/capstan/pkg/project"
)

func testAppSet(t *testing.T, spec string) *v1alpha1.ApplicationSet {
	t.Helper()
	appSet := &v1alpha1.ApplicationSet{ObjectMeta: metav1.ObjectMeta{Name: "set", Namespace: "team", UID: types.UID("set-uid")}}
	if err := yaml.UnmarshalStrict([]byte(spec), &appSet.Spec); err != nil {
		t.Fatal(err)
	}
	return appSet
}

const listSpec = `
goTemplate: true
generators:
- list: {elements: [{name: a}, {name: b}]}
template:
  metadata:
    name: '{{.name}}'
    namespace: elsewhere
    labels: {app: '{{.name}}'}
  spec:
    source: {repoURL: https://git.example.com/apps.git, path: '{{.name}}'}
    destination: {server: https://kubernetes.default.svc, namespace: '{{.name}}'}
    syncPolicy: {automated: {prune: true}}
`

func desiredOf(t *testing.T, appSet *v1alpha1.ApplicationSet) []*v1alpha1.Application {
	t.Helper()
	results, err := generators.New(generators.Sources{}).Generate(context.Background(), appSet, generators.Options{})
	if err != nil {
		t.Fatal(err)
	}
	apps, err := Desired(appSet, results)
	if err != nil {
		t.Fatal(err)
	}
	return apps
}

func TestDesired(t *testing.T) {
	t.Run("generated Applications live in the ApplicationSet's namespace, owned by it, with the resources finalizer", func(t *testing.T) {
		apps := desiredOf(t, testAppSet(t, listSpec))
		if len(apps) != 2 {
			t.Fatalf("%d Applications, want 2", len(apps))
		}
		app := apps[0]
		if app.Name != "a" || app.Namespace != "team" || app.Labels["app"] != "a" || app.Spec.Source.Path != "a" {
			t.Errorf("Application = %+v", app.ObjectMeta)
		}
		if app.Spec.Project != "default" {
			t.Errorf("project = %q, want the default project", app.Spec.Project)
		}
		if len(app.Finalizers) != 1 || app.Finalizers[0] != v1alpha1.ResourcesFinalizerName {
			t.Errorf("finalizers = %v", app.Finalizers)
		}
		owner := metav1.GetControllerOf(app)
		if owner == nil || owner.Kind != "ApplicationSet" || owner.Name != "set" || owner.UID != "set-uid" || !*owner.BlockOwnerDeletion {
			t.Errorf("owner = %+v", owner)
		}
	})
	t.Run("preserveResourcesOnDeletion leaves the finalizer off", func(t *testing.T) {
		apps := desiredOf(t, testAppSet(t, listSpec+"syncPolicy: {preserveResourcesOnDeletion: true}\n"))
		if len(apps[0].Finalizers) != 0 {
			t.Errorf("finalizers = %v, want none", apps[0].Finalizers)
		}
	})
	t.Run("finalizers of the template replace the default", func(t *testing.T) {
		spec := strings.Replace(listSpec, "labels: {app: '{{.name}}'}", "finalizers: [resources-finalizer.argocd.argoproj.io/background]", 1)
		apps := desiredOf(t, testAppSet(t, spec))
		if len(apps[0].Finalizers) != 1 || apps[0].Finalizers[0] != v1alpha1.BackgroundPropagationPolicyFinalizer {
			t.Errorf("finalizers = %v", apps[0].Finalizers)
		}
	})
}

func teamProject(name string, namespaces ...string) *v1alpha1.AppProject {
	return &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.AppProjectSpec{
		SourceNamespaces: namespaces,
		SourceRepos:      []string{"*"},
		Destinations:     []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}},
	}}
}

func projects(list ...*v1alpha1.AppProject) func(string) (*v1alpha1.AppProject, error) {
	return func(name string) (*v1alpha1.AppProject, error) {
		for _, proj := range list {
			if proj.Name == name {
				return proj, nil
			}
		}
		return nil, nil
	}
}

func actions(changes []Change) map[string]Action {
	out := map[string]Action{}
	for _, change := range changes {
		out[change.Name] = change.Action
	}
	return out
}

func TestPlan(t *testing.T) {
	appSet := testAppSet(t, listSpec)
	desired := desiredOf(t, appSet)
	live := func(name string, mutate func(*v1alpha1.Application)) *v1alpha1.Application {
		for _, app := range desired {
			if app.Name == name {
				copied := app.DeepCopy()
				copied.UID, copied.ResourceVersion = types.UID(name+"-uid"), "7"
				if mutate != nil {
					mutate(copied)
				}
				return copied
			}
		}
		orphan := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team",
			OwnerReferences: []metav1.OwnerReference{OwnerReference(appSet)}}}
		if mutate != nil {
			mutate(orphan)
		}
		return orphan
	}
	open := Options{SyncPolicy: v1alpha1.ApplicationsSyncPolicySync, Policy: project.Policy{},
		Project: projects(teamProject("default", "team"))}
	tests := []struct {
		name     string
		existing []*v1alpha1.Application
		appSet   func(*v1alpha1.ApplicationSet)
		opts     func(*Options)
		want     map[string]Action
		message  string
	}{
		{name: "missing Applications are created", want: map[string]Action{"a": Create, "b": Create}},
		{
			name: "Applications as generated are unchanged, preserved refresh annotation and hook finalizers included",
			existing: []*v1alpha1.Application{live("a", func(app *v1alpha1.Application) {
				app.Annotations = map[string]string{"argocd.argoproj.io/refresh": "normal"}
				app.Finalizers = append(app.Finalizers, v1alpha1.PostDeleteFinalizerName)
			}), live("b", nil)},
			want: map[string]Action{"a": Unchanged, "b": Unchanged},
		},
		{
			name:     "manual edits are reverted",
			existing: []*v1alpha1.Application{live("a", func(app *v1alpha1.Application) { app.Spec.SyncPolicy = nil }), live("b", func(app *v1alpha1.Application) { app.Labels["extra"] = "x" })},
			want:     map[string]Action{"a": Update, "b": Update},
		},
		{
			name:     "ignoreApplicationDifferences keeps the live value of the fields it names",
			existing: []*v1alpha1.Application{live("a", func(app *v1alpha1.Application) { app.Spec.SyncPolicy = nil }), live("b", func(app *v1alpha1.Application) { app.Spec.SyncPolicy = nil })},
			appSet: func(appSet *v1alpha1.ApplicationSet) {
				appSet.Spec.IgnoreApplicationDifferences = []v1alpha1.ApplicationSetResourceIgnoreDifferences{{Name: "a", JSONPointers: []string{"/spec/syncPolicy"}}}
			},
			want: map[string]Action{"a": Unchanged, "b": Update},
		},
		{
			name:     "preservedFields keep labels",
			existing: []*v1alpha1.Application{live("a", func(app *v1alpha1.Application) { app.Labels["keep"] = "x" }), live("b", nil)},
			appSet: func(appSet *v1alpha1.ApplicationSet) {
				appSet.Spec.PreservedFields = &v1alpha1.ApplicationPreservedFields{Labels: []string{"keep"}}
			},
			want: map[string]Action{"a": Unchanged, "b": Unchanged},
		},
		{
			name:     "Applications no longer generated are deleted",
			existing: []*v1alpha1.Application{live("a", nil), live("b", nil), live("old", nil)},
			want:     map[string]Action{"a": Unchanged, "b": Unchanged, "old": Delete},
		},
		{
			name:     "create-only neither updates nor deletes",
			existing: []*v1alpha1.Application{live("a", func(app *v1alpha1.Application) { app.Spec.SyncPolicy = nil }), live("old", nil)},
			opts:     func(o *Options) { o.SyncPolicy = v1alpha1.ApplicationsSyncPolicyCreateOnly },
			want:     map[string]Action{"a": Kept, "b": Create, "old": Kept},
		},
		{
			name:     "create-update updates but does not delete",
			existing: []*v1alpha1.Application{live("a", func(app *v1alpha1.Application) { app.Spec.SyncPolicy = nil }), live("old", nil)},
			opts:     func(o *Options) { o.SyncPolicy = v1alpha1.ApplicationsSyncPolicyCreateUpdate },
			want:     map[string]Action{"a": Update, "b": Create, "old": Kept},
		},
		{
			name:     "create-delete deletes but does not update",
			existing: []*v1alpha1.Application{live("a", func(app *v1alpha1.Application) { app.Spec.SyncPolicy = nil }), live("old", nil)},
			opts:     func(o *Options) { o.SyncPolicy = v1alpha1.ApplicationsSyncPolicyCreateDelete },
			want:     map[string]Action{"a": Kept, "b": Create, "old": Delete},
		},
		{
			name:    "a project that does not list the namespace refuses every Application",
			opts:    func(o *Options) { o.Project = projects(teamProject("default", "other")) },
			want:    map[string]Action{"a": Refused, "b": Refused},
			message: "spec.sourceNamespaces do not list the namespace",
		},
		{
			name: "a control namespace may use any project",
			opts: func(o *Options) {
				o.Project = projects(teamProject("default"))
				o.Policy.ControlNamespaces = []string{"team"}
			},
			want: map[string]Action{"a": Create, "b": Create},
		},
		{
			name:    "a missing project refuses",
			opts:    func(o *Options) { o.Project = projects() },
			want:    map[string]Action{"a": Refused, "b": Refused},
			message: "references project default which does not exist",
		},
		{
			name: "an Application another ApplicationSet owns is refused, and one nobody owns is adopted",
			existing: []*v1alpha1.Application{
				live("a", func(app *v1alpha1.Application) {
					app.OwnerReferences[0].Name, app.OwnerReferences[0].UID = "other", "other-uid"
				}),
				live("b", func(app *v1alpha1.Application) { app.OwnerReferences = nil }),
			},
			want:    map[string]Action{"a": Refused, "b": Update},
			message: "already exists and is owned by ApplicationSet other",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := appSet.DeepCopy()
			if tt.appSet != nil {
				tt.appSet(set)
			}
			opts := open
			if tt.opts != nil {
				tt.opts(&opts)
			}
			changes, err := Plan(context.Background(), set, desired, tt.existing, opts)
			if err != nil {
				t.Fatal(err)
			}
			got := actions(changes)
			if len(got) != len(tt.want) {
				t.Fatalf("actions = %v, want %v", got, tt.want)
			}
			for name, action := range tt.want {
				if got[name] != action {
					t.Errorf("actions = %v, want %v", got, tt.want)
					break
				}
			}
			if tt.message != "" {
				found := false
				for _, change := range changes {
					found = found || strings.Contains(change.Message, tt.message)
				}
				if !found {
					t.Errorf("no change says %q: %+v", tt.message, changes)
				}
			}
		})
	}
}

func TestPlanRefusesDuplicateNames(t *testing.T) {
	appSet := testAppSet(t, strings.Replace(listSpec, "[{name: a}, {name: b}]", "[{name: a}, {name: a}]", 1))
	changes, err := Plan(context.Background(), appSet, desiredOf(t, appSet), nil, Options{SyncPolicy: v1alpha1.ApplicationsSyncPolicySync})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 || changes[0].Action != Create || changes[1].Action != Refused || !strings.Contains(changes[1].Message, "duplicate name: a") {
		t.Errorf("changes = %+v", changes)
	}
}

func TestEffectivePolicy(t *testing.T) {
	createOnly := v1alpha1.ApplicationsSyncPolicyCreateOnly
	withPolicy := &v1alpha1.ApplicationSet{Spec: v1alpha1.ApplicationSetSpec{SyncPolicy: &v1alpha1.ApplicationSetSyncPolicy{ApplicationsSync: &createOnly}}}
	tests := []struct {
		name       string
		appSet     *v1alpha1.ApplicationSet
		controller v1alpha1.ApplicationsSyncPolicy
		override   bool
		want       v1alpha1.ApplicationsSyncPolicy
	}{
		{name: "without any policy it is sync", appSet: &v1alpha1.ApplicationSet{}, override: true, want: "sync"},
		{name: "the ApplicationSet's policy applies when overriding is allowed", appSet: withPolicy, controller: "sync", override: true, want: "create-only"},
		{name: "the controller's policy applies otherwise", appSet: withPolicy, controller: "create-update", want: "create-update"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EffectivePolicy(tt.appSet, tt.controller, tt.override); got != tt.want {
				t.Errorf("policy = %s, want %s", got, tt.want)
			}
		})
	}
}
