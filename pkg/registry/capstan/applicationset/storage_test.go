package applicationset_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistrytest "k8s.io/apiserver/pkg/registry/generic/testing"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
	"capstan.dev/capstan/pkg/registry/capstan/applicationset"
	"capstan.dev/capstan/pkg/registry/capstan/registrytest"
	"capstan.dev/capstan/pkg/scheme"
)

// namespace is where the explicit tests keep their ApplicationSets; the generic
// tester uses its own.
const namespace = "argocd"

// newStorage builds the applicationsets storage over a fresh embedded etcd.
func newStorage(t *testing.T) applicationset.Storage {
	t.Helper()
	storage, err := applicationset.NewStorage(scheme.Scheme, registrytest.NewEtcdRESTOptions(t, "applicationsets"), applicationset.PreviewConfig{})
	if err != nil {
		t.Fatalf("applicationsets storage: %v", err)
	}
	t.Cleanup(storage.ApplicationSet.Store.DestroyFunc)
	return storage
}

// requestContext is the context of a request in namespace.
func requestContext() context.Context {
	return genericapirequest.WithNamespace(genericapirequest.NewContext(), namespace)
}

// validApplicationSet is the brief's list-generator ApplicationSet.
func validApplicationSet(name string) *capstan.ApplicationSet {
	return &capstan.ApplicationSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: capstan.ApplicationSetSpec{
			GoTemplate: true,
			Generators: []capstan.ApplicationSetGenerator{{List: &capstan.ListGenerator{
				Elements: []runtime.RawExtension{{Raw: []byte(`{"cluster":"dev","url":"https://dev.k8s.example.com"}`)}},
			}}},
			Template: capstan.ApplicationSetTemplate{
				Metadata: capstan.ApplicationSetTemplateMeta{Name: "my-app-{{.cluster}}"},
				Spec: capstan.ApplicationSpec{
					Project: "default",
					Source: &capstan.ApplicationSource{
						RepoURL: "https://github.com/myorg/myrepo.git", TargetRevision: "HEAD", Path: "k8s/overlays/{{.cluster}}",
					},
					Destination: capstan.ApplicationDestination{Server: "{{.url}}", Namespace: "{{.cluster}}"},
				},
			},
		},
	}
}

// createApplicationSet stores appSet through the main endpoint and returns what was stored.
func createApplicationSet(t *testing.T, storage applicationset.Storage, appSet *capstan.ApplicationSet) *capstan.ApplicationSet {
	t.Helper()
	return registrytest.Create(t, requestContext(), storage.ApplicationSet, appSet)
}

// getApplicationSet reads the stored ApplicationSet name.
func getApplicationSet(t *testing.T, storage applicationset.Storage, name string) *capstan.ApplicationSet {
	t.Helper()
	return registrytest.Get[*capstan.ApplicationSet](t, requestContext(), storage.ApplicationSet, name)
}

// updateApplicationSet writes appSet through endpoint (the main or the status one).
func updateApplicationSet(endpoint rest.Updater, appSet *capstan.ApplicationSet, options *metav1.UpdateOptions) (*capstan.ApplicationSet, error) {
	return registrytest.Update(requestContext(), endpoint, appSet, options)
}

func TestCreate(t *testing.T) {
	storage := newStorage(t)
	appSet := validApplicationSet("")
	appSet.ObjectMeta = metav1.ObjectMeta{}
	// The invalid objects take the tester's namespace from its request context.
	withoutGenerators := validApplicationSet("no-generators")
	withoutGenerators.Namespace = ""
	withoutGenerators.Spec.Generators = nil
	withBadTemplateOption := validApplicationSet("bad-template-option")
	withBadTemplateOption.Namespace = ""
	withBadTemplateOption.Spec.GoTemplateOptions = []string{"missingkey=maybe"}
	genericregistrytest.New(t, storage.ApplicationSet.Store).TestCreate(appSet, withoutGenerators, withBadTemplateOption)
}

func TestUpdate(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.ApplicationSet.Store).TestUpdate(
		validApplicationSet("my-apps"),
		func(obj runtime.Object) runtime.Object {
			appSet := obj.(*capstan.ApplicationSet)
			appSet.Spec.GoTemplateOptions = []string{"missingkey=error"}
			return appSet
		},
		func(obj runtime.Object) runtime.Object {
			appSet := obj.(*capstan.ApplicationSet)
			appSet.Spec.Generators = nil
			return appSet
		},
		func(obj runtime.Object) runtime.Object {
			appSet := obj.(*capstan.ApplicationSet)
			appSet.Spec.GoTemplate = false
			patch := `{"spec":{"project":"team-a"}}`
			appSet.Spec.TemplatePatch = &patch
			return appSet
		},
	)
}

func TestDelete(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.ApplicationSet.Store).TestDelete(validApplicationSet("my-apps"))
}

func TestGet(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.ApplicationSet.Store).TestGet(validApplicationSet("my-apps"))
}

func TestList(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.ApplicationSet.Store).TestList(validApplicationSet("my-apps"))
}

func TestWatch(t *testing.T) {
	storage := newStorage(t)
	genericregistrytest.New(t, storage.ApplicationSet.Store).TestWatch(
		validApplicationSet("my-apps"),
		[]labels.Set{},
		[]labels.Set{{"team": "web"}},
		[]fields.Set{{"metadata.name": "my-apps"}},
		[]fields.Set{{"metadata.name": "other"}},
	)
}

func TestStatusAndSpecAreWrittenThroughTheirOwnEndpoints(t *testing.T) {
	storage := newStorage(t)
	tests := []struct {
		name       string
		appSetName string
		endpoint   rest.Updater
		// Every case writes a new spec, labels and status; check asserts which were kept.
		check func(t *testing.T, got *capstan.ApplicationSet)
	}{
		{
			name:       "a status update keeps the stored spec and labels",
			appSetName: "status-write",
			endpoint:   storage.Status,
			check: func(t *testing.T, got *capstan.ApplicationSet) {
				if got.Status.ResourcesCount != 3 {
					t.Errorf("status.resourcesCount = %d, want the written 3", got.Status.ResourcesCount)
				}
				if got.Spec.GoTemplateOptions != nil || got.Labels["team"] != "" {
					t.Errorf("spec.goTemplateOptions = %v, labels %v: want the stored none", got.Spec.GoTemplateOptions, got.Labels)
				}
				if got.Generation != 1 {
					t.Errorf("generation = %d, want 1", got.Generation)
				}
			},
		},
		{
			name:       "a main update keeps the stored status",
			appSetName: "main-write",
			endpoint:   storage.ApplicationSet,
			check: func(t *testing.T, got *capstan.ApplicationSet) {
				if got.Status.ResourcesCount != 0 {
					t.Errorf("status.resourcesCount = %d, want the stored 0", got.Status.ResourcesCount)
				}
				if len(got.Spec.GoTemplateOptions) != 1 || got.Labels["team"] != "web" {
					t.Errorf("spec.goTemplateOptions = %v, labels %v: want the written ones", got.Spec.GoTemplateOptions, got.Labels)
				}
				if got.Generation != 2 {
					t.Errorf("generation = %d, want 2 after a spec change", got.Generation)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			appSet := createApplicationSet(t, storage, validApplicationSet(tt.appSetName))
			appSet.Status.ResourcesCount = 3
			appSet.Spec.GoTemplateOptions = []string{"missingkey=error"}
			appSet.Labels = map[string]string{"team": "web"}
			returned, err := updateApplicationSet(tt.endpoint, appSet, &metav1.UpdateOptions{})
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			tt.check(t, returned)
			tt.check(t, getApplicationSet(t, storage, appSet.Name))
		})
	}
}

func TestStatusWritesAreBounded(t *testing.T) {
	storage := newStorage(t)
	resources := func(n int) []capstan.ResourceStatus {
		out := make([]capstan.ResourceStatus, n)
		for i := range out {
			out[i] = capstan.ResourceStatus{Group: "capstan.dev", Version: "v1alpha1", Kind: "Application",
				Namespace: namespace, Name: fmt.Sprintf("app-%d", i), Status: capstan.SyncStatusCodeSynced}
		}
		return out
	}
	applications := func(n int) []capstan.ApplicationSetApplicationStatus {
		out := make([]capstan.ApplicationSetApplicationStatus, n)
		for i := range out {
			out[i] = capstan.ApplicationSetApplicationStatus{Application: fmt.Sprintf("app-%d", i), Status: "Healthy"}
		}
		return out
	}
	conditions := func(n int) []capstan.ApplicationSetCondition {
		out := make([]capstan.ApplicationSetCondition, n)
		for i := range out {
			out[i] = capstan.ApplicationSetCondition{Type: capstan.ApplicationSetConditionResourcesUpToDate,
				Status: capstan.ApplicationSetConditionStatusTrue, Reason: "ApplicationSetUpToDate", Message: fmt.Sprint(i)}
		}
		return out
	}
	tests := []struct {
		name      string
		status    capstan.ApplicationSetStatus
		wantField string // the field a refusal names; empty means accepted
	}{
		{name: "status.resources at the bound is accepted",
			status: capstan.ApplicationSetStatus{Resources: resources(validation.MaxStatusResources)}},
		{name: "status.resources over the bound is refused",
			status:    capstan.ApplicationSetStatus{Resources: resources(validation.MaxStatusResources + 1)},
			wantField: "status.resources"},
		{name: "status.applicationStatus over the bound is refused",
			status:    capstan.ApplicationSetStatus{ApplicationStatus: applications(validation.MaxStatusResources + 1)},
			wantField: "status.applicationStatus"},
		{name: "status.conditions at the bound is accepted",
			status: capstan.ApplicationSetStatus{Conditions: conditions(validation.MaxStatusConditions)}},
		{name: "status.conditions over the bound is refused",
			status:    capstan.ApplicationSetStatus{Conditions: conditions(validation.MaxStatusConditions + 1)},
			wantField: "status.conditions"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := createApplicationSet(t, storage, validApplicationSet(fmt.Sprintf("case-%d", i)))
			appSet := stored.DeepCopy()
			appSet.Status = tt.status
			_, err := updateApplicationSet(storage.Status, appSet, &metav1.UpdateOptions{})
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("status update: %v", err)
				}
				return
			}
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tt.wantField) {
				t.Fatalf("status update: got %v, want 422 Invalid naming %s", err, tt.wantField)
			}
			if after := getApplicationSet(t, storage, appSet.Name); after.ResourceVersion != stored.ResourceVersion {
				t.Errorf("the refused status update changed the applicationset")
			}
		})
	}
}

func TestGenerationIncrementsOnlyOnSpecChange(t *testing.T) {
	storage := newStorage(t)
	createApplicationSet(t, storage, validApplicationSet("my-apps"))
	// The steps run in order against the same ApplicationSet.
	steps := []struct {
		name           string
		endpoint       rest.Updater
		change         func(*capstan.ApplicationSet)
		wantGeneration int64
	}{
		{"a label change keeps generation 1", storage.ApplicationSet,
			func(appSet *capstan.ApplicationSet) { appSet.Labels = map[string]string{"team": "web"} }, 1},
		{"a status change keeps generation 1", storage.Status,
			func(appSet *capstan.ApplicationSet) { appSet.Status.ResourcesCount = 3 }, 1},
		{"a spec change increments generation to 2", storage.ApplicationSet,
			func(appSet *capstan.ApplicationSet) { appSet.Spec.Template.Spec.Project = "team-a" }, 2},
		{"a generation written by the client is ignored", storage.ApplicationSet,
			func(appSet *capstan.ApplicationSet) { appSet.Generation = 10 }, 2},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			appSet := getApplicationSet(t, storage, "my-apps")
			step.change(appSet)
			updated, err := updateApplicationSet(step.endpoint, appSet, &metav1.UpdateOptions{})
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			if updated.Generation != step.wantGeneration {
				t.Errorf("generation = %d, want %d", updated.Generation, step.wantGeneration)
			}
		})
	}
}

func TestDryRunUpdateStoresNothing(t *testing.T) {
	storage := newStorage(t)
	for _, endpoint := range []struct {
		name    string
		updater rest.Updater
	}{{"main", storage.ApplicationSet}, {"status", storage.Status}} {
		t.Run("a dry-run "+endpoint.name+" update leaves the stored object alone", func(t *testing.T) {
			stored := createApplicationSet(t, storage, validApplicationSet("dry-run-"+endpoint.name))
			appSet := stored.DeepCopy()
			appSet.Spec.Template.Spec.Project = "team-a"
			appSet.Status.ResourcesCount = 3
			if _, err := updateApplicationSet(endpoint.updater, appSet, &metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
				t.Fatalf("dry-run update: %v", err)
			}
			if after := getApplicationSet(t, storage, appSet.Name); after.ResourceVersion != stored.ResourceVersion {
				t.Errorf("dry-run update changed the stored object: project %q, resourcesCount %d",
					after.Spec.Template.Spec.Project, after.Status.ResourcesCount)
			}
		})
	}
}

func TestFinalizersKeepTheApplicationSetUntilRemoved(t *testing.T) {
	storage := newStorage(t)
	appSet := validApplicationSet("my-apps")
	appSet.Finalizers = []string{v1alpha1.ResourcesFinalizerName}
	registrytest.ExpectFinalizersHoldDeletion(t, requestContext(), storage.ApplicationSet, appSet)
}
