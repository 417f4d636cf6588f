package application_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/registry/capstan/application"
)

// userContext is the context of a request in namespace made by alice.
func userContext() context.Context {
	return genericapirequest.WithUser(requestContext(), &user.DefaultInfo{Name: "alice"})
}

// syncApplication posts spec to applications/name/sync as alice.
func syncApplication(storage application.Storage, name string, spec capstan.ApplicationSyncRequestSpec, options *metav1.CreateOptions) (*capstan.ApplicationSyncRequest, error) {
	obj, err := storage.Sync.Create(userContext(), name, &capstan.ApplicationSyncRequest{Spec: spec}, rest.ValidateAllObjectFunc, options)
	if err != nil {
		return nil, err
	}
	return obj.(*capstan.ApplicationSyncRequest), nil
}

// automated turns on automated sync, or leaves it configured but disabled.
func automated(enabled bool) func(*capstan.Application) {
	return func(app *capstan.Application) {
		app.Spec.SyncPolicy = &capstan.SyncPolicy{Automated: &capstan.SyncPolicyAutomated{Enabled: &enabled}}
	}
}

// targetRevision sets the single source's targetRevision.
func targetRevision(revision string) func(*capstan.Application) {
	return func(app *capstan.Application) { app.Spec.Source.TargetRevision = revision }
}

// threeSources turns the Application into a multi-source one whose sources
// target 1.0.0, main and HEAD.
func threeSources(app *capstan.Application) {
	app.Spec.Source = nil
	for _, revision := range []string{"1.0.0", "main", "HEAD"} {
		app.Spec.Sources = append(app.Spec.Sources, capstan.ApplicationSource{
			RepoURL: "https://github.com/argoproj/argocd-example-apps.git", Path: "guestbook", TargetRevision: revision,
		})
	}
}

func TestSyncBuildsTheOperationFromTheRequest(t *testing.T) {
	storage := newStorage(t)
	appRetry := &capstan.RetryStrategy{Limit: 2}
	factor := int64(3)
	requestRetry := &capstan.RetryStrategy{Limit: 5, Backoff: &capstan.Backoff{Duration: "10s", Factor: &factor}}
	alice := capstan.OperationInitiator{Username: "alice"}
	tests := []struct {
		name    string
		app     []func(*capstan.Application)
		request capstan.ApplicationSyncRequestSpec
		want    *capstan.Operation
		wantErr func(error) bool
	}{
		{
			name: "an empty revision means the targetRevision, and the options and user are recorded",
			app:  []func(*capstan.Application){targetRevision("v1.0.0")},
			request: capstan.ApplicationSyncRequestSpec{
				Prune:       true,
				Strategy:    &capstan.SyncStrategy{Apply: &capstan.SyncStrategyApply{Force: true}},
				Resources:   []capstan.SyncOperationResource{{Group: "apps", Kind: "Deployment", Name: "guestbook-ui"}},
				SyncOptions: capstan.SyncOptions{"CreateNamespace=true"},
			},
			want: &capstan.Operation{InitiatedBy: alice, Sync: &capstan.SyncOperation{
				Revision:     "v1.0.0",
				Prune:        true,
				SyncStrategy: &capstan.SyncStrategy{Apply: &capstan.SyncStrategyApply{Force: true}},
				Resources:    []capstan.SyncOperationResource{{Group: "apps", Kind: "Deployment", Name: "guestbook-ui"}},
				SyncOptions:  capstan.SyncOptions{"CreateNamespace=true"},
			}},
		},
		{
			name:    "a manual application may be synced to any revision",
			request: capstan.ApplicationSyncRequestSpec{Revision: "abc123"},
			want:    &capstan.Operation{InitiatedBy: alice, Sync: &capstan.SyncOperation{Revision: "abc123"}},
		},
		{
			name:    "an automated application may be synced to its targetRevision",
			app:     []func(*capstan.Application){automated(true), targetRevision("v1.0.0")},
			request: capstan.ApplicationSyncRequestSpec{Revision: "v1.0.0"},
			want:    &capstan.Operation{InitiatedBy: alice, Sync: &capstan.SyncOperation{Revision: "v1.0.0"}},
		},
		{
			name:    "an automated application without targetRevision may be synced to HEAD",
			app:     []func(*capstan.Application){automated(true), targetRevision("")},
			request: capstan.ApplicationSyncRequestSpec{Revision: "HEAD"},
			want:    &capstan.Operation{InitiatedBy: alice, Sync: &capstan.SyncOperation{Revision: "HEAD"}},
		},
		{
			name:    "an automated application refuses another revision with 400",
			app:     []func(*capstan.Application){automated(true), targetRevision("v1.0.0")},
			request: capstan.ApplicationSyncRequestSpec{Revision: "abc123"},
			wantErr: apierrors.IsBadRequest,
		},
		{
			name:    "a dry run of an automated application may use another revision",
			app:     []func(*capstan.Application){automated(true), targetRevision("v1.0.0")},
			request: capstan.ApplicationSyncRequestSpec{Revision: "abc123", DryRun: true},
			want:    &capstan.Operation{InitiatedBy: alice, Sync: &capstan.SyncOperation{Revision: "abc123", DryRun: true}},
		},
		{
			name:    "an application whose automated sync is disabled may be synced to another revision",
			app:     []func(*capstan.Application){automated(false), targetRevision("v1.0.0")},
			request: capstan.ApplicationSyncRequestSpec{Revision: "abc123"},
			want:    &capstan.Operation{InitiatedBy: alice, Sync: &capstan.SyncOperation{Revision: "abc123"}},
		},
		{
			name:    "multi-source revisions replace the targetRevisions at their source positions",
			app:     []func(*capstan.Application){threeSources},
			request: capstan.ApplicationSyncRequestSpec{Revisions: []string{"2.0.0", "v3"}, SourcePositions: []int64{3, 1}},
			want:    &capstan.Operation{InitiatedBy: alice, Sync: &capstan.SyncOperation{Revisions: []string{"v3", "main", "2.0.0"}}},
		},
		{
			name:    "multi-source revisions without positions apply in order and empty ones keep the targetRevision",
			app:     []func(*capstan.Application){threeSources},
			request: capstan.ApplicationSyncRequestSpec{Revisions: []string{"2.0.0", ""}},
			want:    &capstan.Operation{InitiatedBy: alice, Sync: &capstan.SyncOperation{Revisions: []string{"2.0.0", "main", "HEAD"}}},
		},
		{
			name:    "a multi-source sync without revisions uses every targetRevision",
			app:     []func(*capstan.Application){threeSources},
			want:    &capstan.Operation{InitiatedBy: alice, Sync: &capstan.SyncOperation{Revisions: []string{"1.0.0", "main", "HEAD"}}},
			request: capstan.ApplicationSyncRequestSpec{},
		},
		{
			name:    "a source position beyond the sources is refused with 400",
			app:     []func(*capstan.Application){threeSources},
			request: capstan.ApplicationSyncRequestSpec{Revisions: []string{"2.0.0"}, SourcePositions: []int64{4}},
			wantErr: apierrors.IsBadRequest,
		},
		{
			name:    "more revisions than sources are refused with 400",
			app:     []func(*capstan.Application){threeSources},
			request: capstan.ApplicationSyncRequestSpec{Revisions: []string{"a", "b", "c", "d"}},
			wantErr: apierrors.IsBadRequest,
		},
		{
			name:    "source positions that do not match the revisions are refused with 422",
			app:     []func(*capstan.Application){threeSources},
			request: capstan.ApplicationSyncRequestSpec{Revisions: []string{"2.0.0"}, SourcePositions: []int64{1, 2}},
			wantErr: apierrors.IsInvalid,
		},
		{
			name: "the request's retry wins over the application's",
			app: []func(*capstan.Application){func(app *capstan.Application) {
				app.Spec.SyncPolicy = &capstan.SyncPolicy{Retry: appRetry}
			}},
			request: capstan.ApplicationSyncRequestSpec{Retry: requestRetry},
			want:    &capstan.Operation{InitiatedBy: alice, Retry: *requestRetry, Sync: &capstan.SyncOperation{Revision: "HEAD"}},
		},
		{
			name: "the application's retry applies when the request has none",
			app: []func(*capstan.Application){func(app *capstan.Application) {
				app.Spec.SyncPolicy = &capstan.SyncPolicy{Retry: appRetry}
			}},
			want: &capstan.Operation{InitiatedBy: alice, Retry: *appRetry, Sync: &capstan.SyncOperation{Revision: "HEAD"}},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := validApplication(fmt.Sprintf("case-%d", i))
			for _, change := range tt.app {
				change(app)
			}
			createApplication(t, storage, app)

			answer, err := syncApplication(storage, app.Name, tt.request, &metav1.CreateOptions{})
			stored := getApplication(t, storage, app.Name)
			if tt.wantErr != nil {
				if !tt.wantErr(err) {
					t.Fatalf("sync: got %v, want a different error", err)
				}
				if stored.Operation != nil {
					t.Errorf("a refused sync set the operation %+v", stored.Operation)
				}
				return
			}
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			if !apiequality.Semantic.DeepEqual(stored.Operation, tt.want) {
				t.Errorf("stored operation differs from the wanted one (-want +got):\n%s", diff.Diff(tt.want, stored.Operation))
			}
			if !apiequality.Semantic.DeepEqual(answer.Status.Operation, stored.Operation) {
				t.Errorf("answered operation differs from the stored one (-stored +answered):\n%s", diff.Diff(stored.Operation, answer.Status.Operation))
			}
			if answer.Name != app.Name || answer.Namespace != namespace || answer.Status.Phase != capstan.OperationRunning {
				t.Errorf("answered %s/%s phase %q, want %s/%s Running", answer.Namespace, answer.Name, answer.Status.Phase, namespace, app.Name)
			}
		})
	}
}

func TestSyncIsRefusedWithConflictWhileAnOperationIsSet(t *testing.T) {
	storage := newStorage(t)
	createApplication(t, storage, validApplication("guestbook"))
	if _, err := syncApplication(storage, "guestbook", capstan.ApplicationSyncRequestSpec{Prune: true}, &metav1.CreateOptions{}); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	before := getApplication(t, storage, "guestbook")

	_, err := syncApplication(storage, "guestbook", capstan.ApplicationSyncRequestSpec{Revision: "abc123"}, &metav1.CreateOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("second sync: got %v, want 409 Conflict", err)
	}
	after := getApplication(t, storage, "guestbook")
	if after.ResourceVersion != before.ResourceVersion || !after.Operation.Sync.Prune {
		t.Errorf("the refused sync changed the application: operation %+v", after.Operation.Sync)
	}
}

func TestSyncDryRunLeavesStorageUnchanged(t *testing.T) {
	storage := newStorage(t)
	before := createApplication(t, storage, validApplication("guestbook"))
	answer, err := syncApplication(storage, "guestbook", capstan.ApplicationSyncRequestSpec{Prune: true},
		&metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatalf("dry-run sync: %v", err)
	}
	if answer.Status.Operation == nil || !answer.Status.Operation.Sync.Prune {
		t.Errorf("dry-run sync answered %+v, want the operation it would set", answer.Status)
	}
	after := getApplication(t, storage, "guestbook")
	if after.ResourceVersion != before.ResourceVersion || after.Operation != nil {
		t.Errorf("dry-run sync changed the application: resourceVersion %s -> %s, operation %+v",
			before.ResourceVersion, after.ResourceVersion, after.Operation)
	}
}

func TestSyncClearsTheStateOfTheFinishedOperation(t *testing.T) {
	storage := newStorage(t)
	app := createApplication(t, storage, validApplication("guestbook"))
	app.Status.OperationState = &capstan.OperationState{
		Operation: capstan.Operation{Sync: &capstan.SyncOperation{Revision: "HEAD"}},
		Phase:     capstan.OperationSucceeded,
		StartedAt: metav1.Now(),
	}
	if _, err := updateApplication(storage.Status, app, &metav1.UpdateOptions{}); err != nil {
		t.Fatalf("write the finished operation state: %v", err)
	}
	if _, err := syncApplication(storage, "guestbook", capstan.ApplicationSyncRequestSpec{}, &metav1.CreateOptions{}); err != nil {
		t.Fatalf("sync: %v", err)
	}
	after := getApplication(t, storage, "guestbook")
	if after.Operation == nil || after.Status.OperationState != nil {
		t.Errorf("after sync: operation %+v, operationState %+v; want an operation and no state", after.Operation, after.Status.OperationState)
	}
}

func TestSyncOfAnApplicationBeingDeletedIsRefusedWithConflict(t *testing.T) {
	storage := newStorage(t)
	app := validApplication("guestbook")
	app.Finalizers = []string{v1alpha1.ResourcesFinalizerName}
	createApplication(t, storage, app)
	if _, _, err := storage.Application.Delete(requestContext(), "guestbook", rest.ValidateAllObjectFunc, &metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err := syncApplication(storage, "guestbook", capstan.ApplicationSyncRequestSpec{}, &metav1.CreateOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("sync of a deleting application: got %v, want 409 Conflict", err)
	}
}

func TestSyncIsRefusedWith403InsideADenyWindowOfTheProject(t *testing.T) {
	frozen := &v1alpha1.AppProject{
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
		Spec: v1alpha1.AppProjectSpec{SyncWindows: v1alpha1.SyncWindows{
			{Kind: "deny", Schedule: "* * * * *", Duration: "1h", Applications: []string{"*"}},
		}},
	}
	storage := newStorageWithEngine(t, nil, application.Access{
		Project: func(context.Context, string) (*v1alpha1.AppProject, error) { return frozen, nil },
	})
	app := createApplication(t, storage, validApplication("frozen"))
	_, err := syncApplication(storage, app.Name, capstan.ApplicationSyncRequestSpec{}, &metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "blocked by sync window") {
		t.Fatalf("got %v, want 403 blocked by sync window", err)
	}
	if stored := getApplication(t, storage, app.Name); stored.Operation != nil {
		t.Errorf("the refused sync set operation %+v", stored.Operation)
	}

	frozen.Spec.SyncWindows[0].ManualSync = true
	if _, err := syncApplication(storage, app.Name, capstan.ApplicationSyncRequestSpec{}, &metav1.CreateOptions{}); err != nil {
		t.Errorf("a deny window with manualSync refused the sync: %v", err)
	}
}
