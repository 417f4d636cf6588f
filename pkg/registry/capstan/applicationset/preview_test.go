package applicationset_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/ptr"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/generators"
	"capstan.dev/capstan/pkg/registry/capstan/applicationset"
	"capstan.dev/capstan/pkg/registry/capstan/registrytest"
	"capstan.dev/capstan/pkg/scheme"
)

// denySecrets allows everything but reading Secrets.
type denySecrets struct{}

func (denySecrets) Authorize(_ context.Context, attributes authorizer.Attributes) (authorizer.Decision, string, error) {
	if attributes.GetResource() == "secrets" {
		return authorizer.DecisionDeny, "no secrets", nil
	}
	return authorizer.DecisionAllow, "", nil
}

// staticClusters is a fixed cluster list.
type staticClusters []generators.Cluster

func (c staticClusters) Clusters(context.Context) ([]generators.Cluster, error) { return c, nil }

// newPreviewStorage builds the storage with previews of Applications *existing.
func newPreviewStorage(t *testing.T, existing *[]*v1alpha1.Application) applicationset.Storage {
	t.Helper()
	storage, err := applicationset.NewStorage(scheme.Scheme, registrytest.NewEtcdRESTOptions(t, "applicationsets"), applicationset.PreviewConfig{
		Generators: generators.New(generators.Sources{Clusters: staticClusters{{Name: "in-cluster", Server: "https://kubernetes.default.svc", InCluster: true}}}),
		Applications: func(context.Context, string) ([]*v1alpha1.Application, error) {
			if existing == nil {
				return nil, nil
			}
			return *existing, nil
		},
		Access: applicationset.Access{Authorizer: denySecrets{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(storage.ApplicationSet.Store.DestroyFunc)
	return storage
}

func userContext() context.Context {
	return genericapirequest.WithUser(requestContext(), &user.DefaultInfo{Name: "alice"})
}

func TestPreviewOfAStoredApplicationSet(t *testing.T) {
	appSet := validApplicationSet("previewed")
	appSet.Spec.Generators[0].List.Elements = append(appSet.Spec.Generators[0].List.Elements,
		runtime.RawExtension{Raw: []byte(`{"cluster":"prod","url":"https://prod.k8s.example.com"}`)})
	owner := metav1.OwnerReference{APIVersion: "capstan.dev/v1alpha1", Kind: "ApplicationSet", Name: "previewed", Controller: ptr.To(true)}
	existing := func(name, path string) *v1alpha1.Application {
		return &v1alpha1.Application{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, OwnerReferences: []metav1.OwnerReference{owner},
				Finalizers: []string{v1alpha1.ResourcesFinalizerName}},
			Spec: v1alpha1.ApplicationSpec{Project: "default",
				Source:      &v1alpha1.ApplicationSource{RepoURL: "https://github.com/myorg/myrepo.git", TargetRevision: "HEAD", Path: path},
				Destination: v1alpha1.ApplicationDestination{Server: "https://prod.k8s.example.com", Namespace: "prod"}},
		}
	}
	var apps []*v1alpha1.Application
	storage := newPreviewStorage(t, &apps)
	stored := createApplicationSet(t, storage, appSet)
	// Applications are the ApplicationSet's when their owner reference carries its UID.
	owner.UID = stored.UID
	apps = []*v1alpha1.Application{existing("my-app-prod", "k8s/overlays/old"), existing("my-app-gone", "gone")}

	obj, err := storage.Preview.Get(userContext(), "previewed", &metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	preview := obj.(*capstan.ApplicationSetPreview)
	actions := map[string]string{}
	for _, item := range preview.Items {
		actions[item.Name] = item.Action
		if item.Name == "my-app-prod" && !strings.Contains(item.Diff, "-    path: k8s/overlays/old\n+    path: k8s/overlays/prod") {
			t.Errorf("diff of the updated Application:\n%s", item.Diff)
		}
	}
	want := map[string]string{"my-app-dev": "Create", "my-app-prod": "Update", "my-app-gone": "Delete"}
	if fmt.Sprint(actions) != fmt.Sprint(want) {
		t.Errorf("actions = %v, want %v", actions, want)
	}

	table, err := storage.Preview.ConvertToTable(userContext(), preview, &metav1.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(table.Rows) != 3 || table.Rows[0].Cells[0] != "my-app-dev" || table.Rows[0].Cells[1] != "Create" ||
		table.Rows[0].Cells[3] != "https://dev.k8s.example.com/dev" {
		t.Errorf("table rows = %+v", table.Rows)
	}
}

func TestPreviewOfACandidate(t *testing.T) {
	storage := newPreviewStorage(t, nil)
	t.Run("a candidate is generated without being stored", func(t *testing.T) {
		obj, err := storage.Preview.Create(userContext(), "candidate", validApplicationSet("candidate"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if items := obj.(*capstan.ApplicationSetPreview).Items; len(items) != 1 || items[0].Name != "my-app-dev" || items[0].Action != "Create" {
			t.Errorf("items = %+v", items)
		}
		if _, err := storage.ApplicationSet.Get(requestContext(), "candidate", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the candidate was stored: %v", err)
		}
	})
	t.Run("a Clusters generator runs only for callers who may read cluster Secrets", func(t *testing.T) {
		candidate := validApplicationSet("clusters")
		candidate.Spec.Generators = []capstan.ApplicationSetGenerator{{Clusters: &capstan.ClusterGenerator{}}}
		candidate.Spec.Template.Metadata.Name = "{{.name}}"
		_, err := storage.Preview.Create(userContext(), "clusters", candidate, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "reads secrets") {
			t.Fatalf("error = %v, want Forbidden naming the Secrets", err)
		}
	})
	t.Run("an invalid candidate is refused with its field paths", func(t *testing.T) {
		candidate := validApplicationSet("invalid")
		candidate.Spec.Generators = nil
		_, err := storage.Preview.Create(userContext(), "invalid", candidate, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.generators") {
			t.Fatalf("error = %v", err)
		}
	})
}

func TestPreviewWithoutGeneratorsIsUnavailable(t *testing.T) {
	storage := newStorage(t)
	createApplicationSet(t, storage, validApplicationSet("offline"))
	_, err := storage.Preview.Get(userContext(), "offline", &metav1.GetOptions{})
	if !apierrors.IsServiceUnavailable(err) {
		t.Fatalf("error = %v, want 503", err)
	}
}
