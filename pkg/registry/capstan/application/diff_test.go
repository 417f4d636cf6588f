package application_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/actions"
	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/compare"
	"capstan.dev/capstan/pkg/inspect"
	"capstan.dev/capstan/pkg/project"
	"capstan.dev/capstan/pkg/registry/capstan/application"
	"capstan.dev/capstan/pkg/registry/capstan/registrytest"
	"capstan.dev/capstan/pkg/scheme"
)

// recordingEngine answers a one-item diff and remembers the Application it was given.
type recordingEngine struct {
	compared *v1alpha1.Application
	options  inspect.Options
	live     *v1alpha1.ApplicationLiveResourceOptions
}

func (e *recordingEngine) Diff(ctx context.Context, app *v1alpha1.Application, opts inspect.Options) (*v1alpha1.ApplicationDiff, error) {
	e.compared = app.DeepCopy()
	e.options = opts
	return &v1alpha1.ApplicationDiff{
		ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace},
		Items:      []v1alpha1.ResourceDiffItem{{Kind: "ConfigMap", Namespace: app.Spec.Destination.Namespace, Name: "settings", Status: "OutOfSync"}},
	}, nil
}

func (e *recordingEngine) Manifests(ctx context.Context, app *v1alpha1.Application, opts inspect.Options) (*v1alpha1.ApplicationManifests, error) {
	e.compared = app.DeepCopy()
	e.options = opts
	return &v1alpha1.ApplicationManifests{}, nil
}

func (e *recordingEngine) Parameters(ctx context.Context, app *v1alpha1.Application, opts inspect.Options) (*v1alpha1.ApplicationParameters, error) {
	e.compared = app.DeepCopy()
	e.options = opts
	return &v1alpha1.ApplicationParameters{}, nil
}

func (e *recordingEngine) ResourceTree(ctx context.Context, app *v1alpha1.Application, opts inspect.Options) (*v1alpha1.ApplicationResourceTree, error) {
	e.compared = app.DeepCopy()
	e.options = opts
	return &v1alpha1.ApplicationResourceTree{Warnings: []string{"from the engine"}}, nil
}

func (e *recordingEngine) LiveResource(ctx context.Context, app *v1alpha1.Application, opts inspect.Options, ref *v1alpha1.ApplicationLiveResourceOptions) (*v1alpha1.ApplicationLiveResource, error) {
	e.compared = app.DeepCopy()
	e.options = opts
	e.live = ref.DeepCopy()
	return &v1alpha1.ApplicationLiveResource{}, nil
}

func (e *recordingEngine) RunAction(ctx context.Context, app *v1alpha1.Application, opts inspect.Options, req *v1alpha1.ApplicationActionRequest) (*v1alpha1.ApplicationActionRequest, error) {
	e.compared = app.DeepCopy()
	e.options = opts
	if req.Action == "unknown" {
		return nil, fmt.Errorf("%w %q", actions.ErrUnknownAction, req.Action)
	}
	if req.Resource.Name == "stranger" {
		return nil, fmt.Errorf("ConfigMap stranger: %w", compare.ErrNotAResource)
	}
	out := req.DeepCopy()
	out.Status.Message = "action " + req.Action + " ran"
	return out, nil
}

func newStorageWithEngine(t *testing.T, engine application.Engine, access ...application.Access) application.Storage {
	t.Helper()
	var granted application.Access
	if len(access) > 0 {
		granted = access[0]
	}
	storage, err := application.NewStorage(scheme.Scheme, registrytest.NewEtcdRESTOptions(t, "applications"), engine, granted)
	if err != nil {
		t.Fatalf("applications storage: %v", err)
	}
	t.Cleanup(storage.Application.Store.DestroyFunc)
	return storage
}

func TestPostingACandidateApplicationPreviewsItsDiff(t *testing.T) {
	engine := &recordingEngine{}
	storage := newStorageWithEngine(t, engine)
	stored := validApplication("guestbook")
	if _, err := storage.Application.Create(requestContext(), stored, rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("the candidate's unsaved spec is compared and nothing is stored", func(t *testing.T) {
		candidate := validApplication("")
		candidate.Namespace = ""
		candidate.Spec.Source.TargetRevision = "feature"
		out, err := storage.Diff.Create(requestContext(), "guestbook", candidate, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		diff, ok := out.(*capstan.ApplicationDiff)
		if !ok || diff.Name != "guestbook" || len(diff.Items) != 1 {
			t.Fatalf("got %#v", out)
		}
		if engine.compared.Name != "guestbook" || engine.compared.Namespace != namespace || engine.compared.Spec.Source.TargetRevision != "feature" {
			t.Errorf("compared %s/%s at %q, want the candidate named by the URL", engine.compared.Namespace, engine.compared.Name, engine.compared.Spec.Source.TargetRevision)
		}
		obj, err := storage.Application.Get(requestContext(), "guestbook", &metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := obj.(*capstan.Application).Spec.Source.TargetRevision; got != "HEAD" {
			t.Errorf("stored targetRevision = %q, want it unchanged", got)
		}
	})
	t.Run("an Application that does not exist yet can be previewed", func(t *testing.T) {
		if _, err := storage.Diff.Create(requestContext(), "new-app", validApplication("new-app"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := storage.Application.Get(requestContext(), "new-app", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("previewing created the Application: %v", err)
		}
	})
	t.Run("an invalid candidate is refused with the field named", func(t *testing.T) {
		candidate := validApplication("guestbook")
		candidate.Spec.Destination = capstan.ApplicationDestination{}
		_, err := storage.Diff.Create(requestContext(), "guestbook", candidate, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Errorf("got %v, want 422 Invalid", err)
		}
	})
	t.Run("a body naming another Application is refused", func(t *testing.T) {
		_, err := storage.Diff.Create(requestContext(), "guestbook", validApplication("other"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if !apierrors.IsBadRequest(err) {
			t.Errorf("got %v, want 400 BadRequest", err)
		}
	})
	t.Run("a body that is not an Application is refused", func(t *testing.T) {
		_, err := storage.Diff.Create(requestContext(), "guestbook", &capstan.ApplicationSyncRequest{}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if !apierrors.IsBadRequest(err) {
			t.Errorf("got %v, want 400 BadRequest", err)
		}
	})
}

func TestPostingACandidateWithoutAnEngineIsUnavailable(t *testing.T) {
	storage := newStorage(t)
	_, err := storage.Diff.Create(requestContext(), "guestbook", validApplication("guestbook"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if !apierrors.IsServiceUnavailable(err) {
		t.Errorf("got %v, want 503", err)
	}
}

func TestDiffManifestsAndParametersAnswerOnlyWhatTheProjectAndTheCallerAllow(t *testing.T) {
	teamProject := &v1alpha1.AppProject{
		ObjectMeta: metav1.ObjectMeta{Name: "team"},
		Spec: v1alpha1.AppProjectSpec{
			SourceNamespaces: []string{namespace},
			SourceRepos:      []string{"*"},
			Destinations:     []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "guestbook"}},
		},
	}
	var asked []authorizer.Attributes
	access := application.Access{
		Policy: project.Policy{ControlNamespaces: project.DefaultControlNamespaces},
		Project: func(_ context.Context, name string) (*v1alpha1.AppProject, error) {
			switch name {
			case "team":
				return teamProject, nil
			case "default":
				return &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: v1alpha1.AppProjectSpec{
					SourceRepos: []string{"*"}, Destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}}}}, nil
			}
			return nil, nil
		},
		Authorizer: authorizer.AuthorizerFunc(func(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
			asked = append(asked, a)
			return authorizer.DecisionNoOpinion, "", nil
		}),
	}
	engine := &recordingEngine{}
	storage := newStorageWithEngine(t, engine, access)
	inProject := func(name, destinationNamespace string) *capstan.Application {
		app := validApplication(name)
		app.Spec.Project = "team"
		app.Spec.Destination.Namespace = destinationNamespace
		return app
	}

	t.Run("a candidate its project refuses is answered 403 naming the rule, and nothing is compared", func(t *testing.T) {
		engine.compared = nil
		_, err := storage.Diff.Create(userContext(), "refused", inProject("refused", "kube-system"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "destinations") {
			t.Fatalf("got %v, want 403 naming destinations", err)
		}
		if engine.compared != nil {
			t.Errorf("the engine compared a refused candidate")
		}
	})
	t.Run("a candidate in the default project, which does not list this namespace, is refused", func(t *testing.T) {
		_, err := storage.Diff.Create(userContext(), "default", validApplication("default"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "sourceNamespaces") {
			t.Fatalf("got %v, want 403 naming sourceNamespaces", err)
		}
	})
	t.Run("an accepted candidate is compared with its project and the caller's own rights", func(t *testing.T) {
		if _, err := storage.Diff.Create(userContext(), "accepted", inProject("accepted", "guestbook"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if engine.options.Project != teamProject || engine.options.MayRead == nil {
			t.Fatalf("options %+v, want the team project and a read check", engine.options)
		}
		allowed, err := engine.options.MayRead(userContext(), schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, "kube-system")
		if allowed || err != nil {
			t.Errorf("MayRead = %v, %v; want false", allowed, err)
		}
		last := asked[len(asked)-1]
		if last.GetUser().GetName() != "alice" || last.GetVerb() != "get" || last.GetResource() != "secrets" || last.GetNamespace() != "kube-system" {
			t.Errorf("asked %+v, want alice get secrets in kube-system", last)
		}
	})
	t.Run("GET manifests of a stored Application its project refuses is answered 403", func(t *testing.T) {
		stored := inProject("stored", "kube-system")
		if _, err := storage.Application.Create(requestContext(), stored, rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err := storage.Manifests.Get(userContext(), "stored", &capstan.ApplicationManifestsOptions{})
		if !apierrors.IsForbidden(err) {
			t.Errorf("got %v, want 403", err)
		}
		_, err = storage.Diff.Get(userContext(), "stored", &capstan.ApplicationDiffOptions{})
		if !apierrors.IsForbidden(err) {
			t.Errorf("diff: got %v, want 403", err)
		}
		_, err = storage.Parameters.Get(userContext(), "stored", &capstan.ApplicationManifestsOptions{})
		if !apierrors.IsForbidden(err) {
			t.Errorf("parameters: got %v, want 403", err)
		}
		_, err = storage.Tree.Get(userContext(), "stored", &metav1.GetOptions{})
		if !apierrors.IsForbidden(err) {
			t.Errorf("resourcetree: got %v, want 403", err)
		}
		_, err = storage.Live.Get(userContext(), "stored", &capstan.ApplicationLiveResourceOptions{ResourceKind: "Secret", Namespace: "kube-system", ResourceName: "x"})
		if !apierrors.IsForbidden(err) {
			t.Errorf("resource: got %v, want 403", err)
		}
	})
	t.Run("GET parameters hands the revision and the project to the engine", func(t *testing.T) {
		if _, err := storage.Application.Create(requestContext(), inProject("plugged", "guestbook"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		engine.compared = nil
		if _, err := storage.Parameters.Get(userContext(), "plugged", &capstan.ApplicationManifestsOptions{Revision: "v2", Refresh: "hard"}); err != nil {
			t.Fatal(err)
		}
		if engine.compared == nil || engine.compared.Name != "plugged" || engine.options.Revision != "v2" || !engine.options.Hard || engine.options.Project != teamProject {
			t.Errorf("compared %v with options %+v", engine.compared, engine.options)
		}
	})
	t.Run("GET resourcetree and resource hand the project and the caller's list and get checks to the engine", func(t *testing.T) {
		if _, err := storage.Application.Create(requestContext(), inProject("treed", "guestbook"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		obj, err := storage.Tree.Get(userContext(), "treed", &metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if tree := obj.(*capstan.ApplicationResourceTree); len(tree.Warnings) != 1 || tree.Warnings[0] != "from the engine" {
			t.Errorf("tree %+v, want the engine's", tree)
		}
		if engine.compared.Name != "treed" || engine.options.Project != teamProject || engine.options.MayList == nil || engine.options.MayRead == nil {
			t.Fatalf("options %+v, want the team project and list and read checks", engine.options)
		}
		allowed, err := engine.options.MayList(userContext(), schema.GroupVersionResource{Version: "v1", Resource: "pods"}, "kube-system")
		if allowed || err != nil {
			t.Errorf("MayList = %v, %v; want false", allowed, err)
		}
		last := asked[len(asked)-1]
		if last.GetUser().GetName() != "alice" || last.GetVerb() != "list" || last.GetResource() != "pods" || last.GetNamespace() != "kube-system" {
			t.Errorf("asked %+v, want alice list pods in kube-system", last)
		}
		want := capstan.ApplicationLiveResourceOptions{Group: "apps", Version: "v1", ResourceKind: "Deployment", Namespace: "guestbook", ResourceName: "web"}
		if _, err := storage.Live.Get(userContext(), "treed", &want); err != nil {
			t.Fatal(err)
		}
		if got := engine.live; got == nil || got.Group != want.Group || got.Version != want.Version || got.ResourceKind != want.ResourceKind || got.Namespace != want.Namespace || got.ResourceName != want.ResourceName {
			t.Errorf("engine asked for %+v, want %+v", got, want)
		}
	})
	t.Run("a missing project is left to the engine, which fails as a comparison does", func(t *testing.T) {
		missing := inProject("missing", "guestbook")
		missing.Spec.Project = "gone"
		if _, err := storage.Diff.Create(userContext(), "missing", missing, rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if !engine.options.ProjectMissing {
			t.Errorf("options %+v, want ProjectMissing", engine.options)
		}
	})
}

func TestPostingManifestsComparesThemWithTheApplicationsLiveState(t *testing.T) {
	engine := &recordingEngine{}
	storage := newStorageWithEngine(t, engine)
	if _, err := storage.Application.Create(requestContext(), validApplication("guestbook"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	manifest := func(json string) runtime.RawExtension { return runtime.RawExtension{Raw: []byte(json)} }
	configMap := manifest(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},"data":{"k":"v"}}`)

	t.Run("the manifests are handed to the engine as the target state of the stored Application", func(t *testing.T) {
		request := &capstan.ApplicationDiffRequest{Manifests: []runtime.RawExtension{configMap}}
		out, err := storage.Diff.Create(requestContext(), "guestbook", request, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff, ok := out.(*capstan.ApplicationDiff); !ok || len(diff.Items) != 1 {
			t.Fatalf("got %#v", out)
		}
		if engine.compared.Name != "guestbook" || len(engine.options.Manifests) != 1 || engine.options.Manifests[0].GetName() != "settings" {
			t.Errorf("compared %s with %d manifests", engine.compared.Name, len(engine.options.Manifests))
		}
	})
	t.Run("an empty list compares an empty target state", func(t *testing.T) {
		if _, err := storage.Diff.Create(requestContext(), "guestbook", &capstan.ApplicationDiffRequest{}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if engine.options.Manifests == nil {
			t.Errorf("the engine was asked to render instead")
		}
	})
	t.Run("manifests that are not objects are refused with their index", func(t *testing.T) {
		request := &capstan.ApplicationDiffRequest{Manifests: []runtime.RawExtension{configMap, manifest(`["not","an","object"]`), manifest(`{"kind":"ConfigMap","metadata":{}}`)}}
		_, err := storage.Diff.Create(requestContext(), "guestbook", request, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Fatalf("got %v, want 422 Invalid", err)
		}
		for _, want := range []string{"manifests[1]", "manifests[2].apiVersion", "manifests[2].metadata.name"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		}
	})
	t.Run("the manifests of an Application that does not exist are refused", func(t *testing.T) {
		_, err := storage.Diff.Create(requestContext(), "missing", &capstan.ApplicationDiffRequest{Manifests: []runtime.RawExtension{configMap}}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("got %v, want 404", err)
		}
	})
}
