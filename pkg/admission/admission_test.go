package admission

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/client-go/tools/cache"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	listers "capstan.dev/capstan/pkg/generated/listers/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/project"
)

const inCluster = "https://kubernetes.default.svc"

// projects are the AppProjects every case sees.
func projects(t *testing.T) listers.AppProjectLister {
	t.Helper()
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, proj := range []*v1alpha1.AppProject{
		{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: v1alpha1.AppProjectSpec{
			SourceRepos:              []string{"*"},
			Destinations:             []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}},
			ClusterResourceWhitelist: []v1alpha1.ClusterResourceRestrictionItem{{Group: "*", Kind: "*"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}, Spec: v1alpha1.AppProjectSpec{
			SourceNamespaces: []string{"team-a"},
			SourceRepos:      []string{"https://git.example.com/team-a/*"},
			Destinations:     []v1alpha1.ApplicationDestination{{Server: inCluster, Namespace: "team-a"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "frozen"}, Spec: v1alpha1.AppProjectSpec{
			SourceNamespaces: []string{"team-a"},
			SourceRepos:      []string{"*"},
			Destinations:     []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}},
			SyncWindows:      v1alpha1.SyncWindows{{Kind: "deny", Schedule: "* * * * *", Duration: "1h", Applications: []string{"*"}}},
		}},
	} {
		if err := indexer.Add(proj); err != nil {
			t.Fatal(err)
		}
	}
	return listers.NewAppProjectLister(indexer)
}

// syncers may create applications/sync in team-a; nobody else may.
var syncers = authorizer.AuthorizerFunc(func(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	if a.GetUser().GetName() == "alice" && a.GetVerb() == "create" && a.GetResource() == "applications" &&
		a.GetSubresource() == "sync" && a.GetNamespace() == "team-a" {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionNoOpinion, "no RBAC rule allows it", nil
})

func app(namespace, proj, repoURL, destinationNamespace string) *capstan.Application {
	return &capstan.Application{
		ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: namespace},
		Spec: capstan.ApplicationSpec{
			Project:     proj,
			Source:      &capstan.ApplicationSource{RepoURL: repoURL, Path: "guestbook"},
			Destination: capstan.ApplicationDestination{Server: inCluster, Namespace: destinationNamespace},
		},
	}
}

const teamRepo = "https://git.example.com/team-a/apps.git"

func withOperation(a *capstan.Application) *capstan.Application {
	a = a.DeepCopy()
	a.Operation = &capstan.Operation{Sync: &capstan.SyncOperation{Revision: "HEAD"}}
	return a
}

func appSet(namespace, proj, repoURL, destinationNamespace string) *capstan.ApplicationSet {
	set := &capstan.ApplicationSet{ObjectMeta: metav1.ObjectMeta{Name: "set", Namespace: namespace}}
	set.Spec.Template.Spec = app(namespace, proj, repoURL, destinationNamespace).Spec
	return set
}

func TestAdmission(t *testing.T) {
	type request struct {
		obj, old    runtime.Object
		user        string
		groups      []string
		subresource string
	}
	alice := func(obj, old runtime.Object) request { return request{obj: obj, old: old, user: "alice"} }
	bob := func(obj, old runtime.Object) request { return request{obj: obj, old: old, user: "bob"} }
	labelled := func(a *capstan.Application) *capstan.Application {
		a = a.DeepCopy()
		a.Labels = map[string]string{"team": "a"}
		a.Finalizers = []string{"resources-finalizer.argocd.argoproj.io"}
		return a
	}
	tests := []struct {
		name string
		request
		// wantRefusal is a phrase of the 403; empty means admitted.
		wantRefusal string
		wantWarning string
	}{
		{name: "an Application in a control namespace may use any project",
			request: alice(app("argocd", "team-a", teamRepo, "team-a"), nil)},
		{name: "an Application in capstan-system may use the default project",
			request: alice(app("capstan-system", "default", "https://evil.example.com/x.git", "kube-system"), nil)},
		{name: "an Application in a namespace its project lists is admitted",
			request: alice(app("team-a", "team-a", teamRepo, "team-a"), nil)},
		{name: "an empty project means default, which lists no sourceNamespaces",
			request: alice(app("team-a", "", teamRepo, "team-a"), nil), wantRefusal: "sourceNamespaces"},
		{name: "the default project refuses a team namespace it does not list",
			request: alice(app("team-a", "default", teamRepo, "kube-system"), nil), wantRefusal: "may not use project default"},
		{name: "a project refuses a namespace it does not list",
			request: alice(app("team-b", "team-a", teamRepo, "team-a"), nil), wantRefusal: "sourceNamespaces"},
		{name: "a project refuses a repository outside sourceRepos",
			request: alice(app("team-a", "team-a", "https://git.example.com/team-b/apps.git", "team-a"), nil), wantRefusal: "sourceRepos"},
		{name: "a project refuses a destination outside destinations",
			request: alice(app("team-a", "team-a", teamRepo, "kube-system"), nil), wantRefusal: "destinations"},
		{name: "a project that does not exist yet is admitted with a warning",
			request: alice(app("team-a", "not-yet", teamRepo, "team-a"), nil), wantWarning: `AppProject "not-yet" does not exist`},
		{name: "an update that changes spec is checked",
			request:     alice(app("team-a", "team-a", teamRepo, "kube-system"), app("team-a", "team-a", teamRepo, "team-a")),
			wantRefusal: "destinations"},
		{name: "an update that changes only labels and finalizers is never refused",
			request: alice(labelled(app("team-b", "team-a", teamRepo, "kube-system")), app("team-b", "team-a", teamRepo, "kube-system"))},
		{name: "a status write is not checked here",
			request: request{obj: app("team-b", "team-a", teamRepo, "kube-system"), old: app("team-b", "team-a", teamRepo, "team-a"), user: "bob", subresource: "status"}},
		{name: "an operation written by a user who may sync is admitted",
			request: alice(withOperation(app("team-a", "team-a", teamRepo, "team-a")), app("team-a", "team-a", teamRepo, "team-a"))},
		{name: "an operation written by a user who may not sync is refused",
			request:     bob(withOperation(app("team-a", "team-a", teamRepo, "team-a")), app("team-a", "team-a", teamRepo, "team-a")),
			wantRefusal: `user "bob" may not create applications/sync`},
		{name: "an Application created with an operation needs the right to sync",
			request: bob(withOperation(app("team-a", "team-a", teamRepo, "team-a")), nil), wantRefusal: "writing operation is a sync"},
		{name: "an operation in another namespace needs the right there",
			request:     alice(withOperation(app("argocd", "team-a", teamRepo, "team-a")), app("argocd", "team-a", teamRepo, "team-a")),
			wantRefusal: "may not create applications/sync"},
		{name: "an operation already stored is not checked again",
			request: bob(labelled(withOperation(app("team-a", "team-a", teamRepo, "team-a"))), withOperation(app("team-a", "team-a", teamRepo, "team-a")))},
		{name: "cluster administrators and the controllers may write operations",
			request: request{obj: withOperation(app("team-a", "team-a", teamRepo, "team-a")), old: app("team-a", "team-a", teamRepo, "team-a"),
				user: user.APIServerUser, groups: []string{user.SystemPrivilegedGroup}}},
		{name: "an operation that an active deny window blocks is refused",
			request:     alice(withOperation(app("team-a", "frozen", teamRepo, "team-a")), app("team-a", "frozen", teamRepo, "team-a")),
			wantRefusal: "blocked by sync window"},
		{name: "an ApplicationSet in a namespace its project lists is admitted",
			request: alice(appSet("team-a", "team-a", teamRepo, "team-a"), nil)},
		{name: "an ApplicationSet in a namespace its project does not list is refused",
			request: alice(appSet("team-b", "team-a", teamRepo, "team-a"), nil), wantRefusal: "sourceNamespaces"},
		{name: "an ApplicationSet with a literal repository outside sourceRepos is refused",
			request: alice(appSet("team-a", "team-a", "https://evil.example.com/x.git", "{{.ns}}"), nil), wantRefusal: "sourceRepos"},
		{name: "an ApplicationSet whose project is templated is left to the controller",
			request: alice(appSet("team-b", "{{.project}}", teamRepo, "team-a"), nil)},
		{name: "an ApplicationSet whose destination is templated is admitted",
			request: alice(appSet("team-a", "team-a", teamRepo, "{{.namespace}}"), nil)},
		{name: "an ApplicationSet update without a spec change is never refused",
			request: alice(appSet("team-b", "team-a", teamRepo, "team-a"), appSet("team-b", "team-a", teamRepo, "team-a"))},
		{name: "an ApplicationSet in a control namespace is still held to its project's repositories",
			request: alice(appSet("argocd", "team-a", "https://evil.example.com/x.git", "kube-system"), nil), wantRefusal: "sourceRepos"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			plugin := New(project.Policy{ControlNamespaces: project.DefaultControlNamespaces})
			plugin.SetUnconditionalAuthorizer(syncers)
			plugin.SetProjects(projects(t), func() bool { return true })
			plugin.now = func() time.Time { return time.Date(2026, 12, 5, 10, 30, 0, 0, time.UTC) }
			if err := plugin.ValidateInitialization(); err != nil {
				t.Fatal(err)
			}
			warnings := &recordedWarnings{}
			ctx := warningContext(warnings)
			err := plugin.Validate(ctx, attributes(test.request.obj, test.request.old, test.request.subresource,
				&user.DefaultInfo{Name: test.request.user, Groups: test.request.groups}), nil)
			switch {
			case test.wantRefusal == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case test.wantRefusal != "" && err == nil:
				t.Fatalf("admitted, want a refusal naming %q", test.wantRefusal)
			case err != nil && (!apierrors.IsForbidden(err) || !strings.Contains(err.Error(), test.wantRefusal)):
				t.Fatalf("refused with %v, want a 403 naming %q", err, test.wantRefusal)
			}
			if test.wantWarning != "" && !strings.Contains(strings.Join(warnings.texts, "\n"), test.wantWarning) {
				t.Errorf("warnings %q, want one saying %q", warnings.texts, test.wantWarning)
			}
		})
	}
}

func attributes(obj, old runtime.Object, subresource string, requester user.Info) admission.Attributes {
	kind, resource := "Application", "applications"
	if _, ok := obj.(*capstan.ApplicationSet); ok {
		kind, resource = "ApplicationSet", "applicationsets"
	}
	operation := admission.Create
	if old != nil {
		operation = admission.Update
	}
	accessor, _ := meta.Accessor(obj)
	return admission.NewAttributesRecord(obj, old,
		capstan.SchemeGroupVersion.WithKind(kind), accessor.GetNamespace(), accessor.GetName(),
		v1alpha1.SchemeGroupVersion.WithResource(resource), subresource, operation, nil, false, requester)
}

// recordedWarnings collects the admission warnings of one request.
type recordedWarnings struct{ texts []string }

func (r *recordedWarnings) AddWarning(_, text string) { r.texts = append(r.texts, text) }

func warningContext(recorder *recordedWarnings) context.Context {
	return warning.WithWarningRecorder(context.Background(), recorder)
}
