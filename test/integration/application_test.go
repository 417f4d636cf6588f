package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	applyv1alpha1 "capstan.dev/capstan/pkg/generated/applyconfiguration/capstan/v1alpha1"
)

func newApplication(name, project string) *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: v1alpha1.ApplicationSpec{
			Project: project,
			Source: &v1alpha1.ApplicationSource{
				RepoURL:        "https://github.com/argoproj/argocd-example-apps.git",
				Path:           "guestbook",
				TargetRevision: "HEAD",
			},
			Destination: v1alpha1.ApplicationDestination{
				Server:    "https://kubernetes.default.svc",
				Namespace: "guestbook",
			},
		},
	}
}

func TestApplicationCRUDAndWatch(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	apps := s.client.CapstanV1alpha1().Applications("default")

	w, err := apps.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	created, err := apps.Create(ctx, newApplication("guestbook", "default"), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.Generation != 1 {
		t.Errorf("generation after create = %d, want 1", created.Generation)
	}

	got, err := apps.Get(ctx, "guestbook", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Spec.Source.Path != "guestbook" {
		t.Errorf("stored path = %q, want guestbook", got.Spec.Source.Path)
	}

	got.Spec.Source.Path = "helm-guestbook"
	updated, err := apps.Update(ctx, got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if updated.Generation != 2 {
		t.Errorf("generation after a spec change = %d, want 2", updated.Generation)
	}

	if err := apps.Delete(ctx, "guestbook", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}

	want := []watch.EventType{watch.Added, watch.Modified, watch.Deleted}
	for i, eventType := range want {
		select {
		case event := <-w.ResultChan():
			if event.Type != eventType {
				t.Errorf("watch event %d = %s, want %s", i, event.Type, eventType)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("watch event %d (%s) did not arrive", i, eventType)
		}
	}
}

func TestApplicationInvalidSpecIsRejectedWithFieldPath(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	app := newApplication("invalid", "default")
	app.Spec.Destination.Name = "in-cluster" // server and name together are not allowed

	_, err := s.client.CapstanV1alpha1().Applications("default").Create(ctx, app, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("create with server and name: got %v, want 422 Invalid", err)
	}
	if !strings.Contains(err.Error(), "spec.destination") {
		t.Errorf("error %q does not name spec.destination", err)
	}

	// An update that fails validation leaves the stored object unchanged.
	good, err := s.client.CapstanV1alpha1().Applications("default").Create(ctx, newApplication("valid", "default"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := good.DeepCopy()
	bad.Spec.Project = ""
	if _, err := s.client.CapstanV1alpha1().Applications("default").Update(ctx, bad, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Fatalf("update with empty project: got %v, want 422 Invalid", err)
	}
	after, err := s.client.CapstanV1alpha1().Applications("default").Get(ctx, "valid", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != good.ResourceVersion || after.Spec.Project != "default" {
		t.Errorf("rejected update changed the object: resourceVersion %s -> %s, project %q",
			good.ResourceVersion, after.ResourceVersion, after.Spec.Project)
	}
}

func TestApplicationSyncSetsOperationAndConflictsWhileOneIsSet(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	apps := s.client.CapstanV1alpha1().Applications("default")
	if _, err := apps.Create(ctx, newApplication("guestbook", "default"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	dryRun, err := apps.Sync(ctx, "guestbook", &v1alpha1.ApplicationSyncRequest{
		Spec: v1alpha1.ApplicationSyncRequestSpec{Prune: true},
	}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatalf("dry-run sync: %v", err)
	}
	if dryRun.Status.Operation == nil || !dryRun.Status.Operation.Sync.Prune {
		t.Errorf("dry-run sync answered %+v, want the accepted operation with prune", dryRun.Status)
	}
	app, err := apps.Get(ctx, "guestbook", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if app.Operation != nil {
		t.Fatalf("dry-run sync set the operation: %+v", app.Operation)
	}

	accepted, err := apps.Sync(ctx, "guestbook", &v1alpha1.ApplicationSyncRequest{
		Spec: v1alpha1.ApplicationSyncRequestSpec{Prune: true, SyncOptions: []string{"CreateNamespace=true"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if accepted.Name != "guestbook" || accepted.Status.Phase != v1alpha1.OperationRunning {
		t.Errorf("sync answered name %q phase %q, want guestbook Running", accepted.Name, accepted.Status.Phase)
	}
	app, err = apps.Get(ctx, "guestbook", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if app.Operation == nil || app.Operation.Sync == nil {
		t.Fatalf("sync did not set the operation")
	}
	if got := app.Operation.Sync.Revision; got != "HEAD" {
		t.Errorf("operation revision = %q, want the targetRevision HEAD", got)
	}
	if !app.Operation.Sync.Prune || len(app.Operation.Sync.SyncOptions) != 1 {
		t.Errorf("operation = %+v, want prune and one sync option", app.Operation.Sync)
	}

	_, err = apps.Sync(ctx, "guestbook", &v1alpha1.ApplicationSyncRequest{}, metav1.CreateOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("second sync: got %v, want 409 Conflict", err)
	}

	_, err = apps.Sync(ctx, "missing", &v1alpha1.ApplicationSyncRequest{}, metav1.CreateOptions{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("sync of a missing application: got %v, want 404", err)
	}

	_, err = apps.Sync(ctx, "guestbook", &v1alpha1.ApplicationSyncRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "other"},
	}, metav1.CreateOptions{})
	if !apierrors.IsBadRequest(err) {
		t.Fatalf("sync with another name in the body: got %v, want 400", err)
	}

	terminated, err := apps.Terminate(ctx, "guestbook", &v1alpha1.ApplicationTerminateRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("terminate: %v", err)
	}
	if terminated.Status.Phase != v1alpha1.OperationTerminating {
		t.Errorf("terminate answered phase %q, want Terminating", terminated.Status.Phase)
	}
	app, err = apps.Get(ctx, "guestbook", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if app.Status.OperationState == nil || app.Status.OperationState.Phase != v1alpha1.OperationTerminating {
		t.Errorf("operationState after terminate = %+v, want phase Terminating", app.Status.OperationState)
	}
}

func TestApplicationSyncRejectsInvalidSyncOptions(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	apps := s.client.CapstanV1alpha1().Applications("default")
	if _, err := apps.Create(ctx, newApplication("guestbook", "default"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := apps.Sync(ctx, "guestbook", &v1alpha1.ApplicationSyncRequest{
		Spec: v1alpha1.ApplicationSyncRequestSpec{SyncOptions: []string{"NoSuchOption=true"}},
	}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.syncOptions[0]") {
		t.Fatalf("sync with an unknown option: got %v, want 422 naming spec.syncOptions[0]", err)
	}
}

func TestApplicationStatusAndSpecAreWrittenSeparately(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	apps := s.client.CapstanV1alpha1().Applications("default")
	app, err := apps.Create(ctx, newApplication("guestbook", "default"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	app.Status.Sync.Status = v1alpha1.SyncStatusCodeSynced
	app.Spec.Project = "ignored-by-status"
	app, err = apps.UpdateStatus(ctx, app, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update status: %v", err)
	}
	if app.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced || app.Spec.Project != "default" {
		t.Errorf("after a status write: sync %q project %q, want Synced and the old project", app.Status.Sync.Status, app.Spec.Project)
	}

	app.Status.Sync.Status = v1alpha1.SyncStatusCodeOutOfSync
	app.Spec.Source.Path = "kustomize-guestbook"
	app, err = apps.Update(ctx, app, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if app.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced || app.Spec.Source.Path != "kustomize-guestbook" {
		t.Errorf("after a spec write: sync %q path %q, want the old status and the new path", app.Status.Sync.Status, app.Spec.Source.Path)
	}
}

func TestApplicationFieldSelectors(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	apps := s.client.CapstanV1alpha1().Applications("default")
	if _, err := apps.Create(ctx, newApplication("in-default", "default"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.CapstanV1alpha1().AppProjects().Create(ctx, &v1alpha1.AppProject{
		ObjectMeta: metav1.ObjectMeta{Name: "team-a"},
		Spec: v1alpha1.AppProjectSpec{SourceRepos: []string{"*"},
			Destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.Create(ctx, newApplication("in-team-a", "team-a"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	list, err := apps.List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.project", "team-a").String()})
	if err != nil {
		t.Fatalf("list by spec.project: %v", err)
	}
	if len(list.Items) != 1 || list.Items[0].Name != "in-team-a" {
		t.Errorf("list by spec.project=team-a returned %d items, want only in-team-a", len(list.Items))
	}
	list, err = apps.List(ctx, metav1.ListOptions{FieldSelector: "spec.destination.namespace=guestbook,spec.project!=team-a"})
	if err != nil {
		t.Fatalf("list by destination namespace: %v", err)
	}
	if len(list.Items) != 1 || list.Items[0].Name != "in-default" {
		t.Errorf("list by destination namespace and project returned %d items, want only in-default", len(list.Items))
	}
	if _, err := apps.List(ctx, metav1.ListOptions{FieldSelector: "spec.source.path=guestbook"}); !apierrors.IsBadRequest(err) {
		t.Errorf("list by an unsupported field: got %v, want 400", err)
	}
}

func TestApplicationServerSideApplyWithTwoManagers(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	apps := s.client.CapstanV1alpha1().Applications("default")

	base := applyv1alpha1.Application("guestbook", "default").
		WithSpec(applyv1alpha1.ApplicationSpec().
			WithProject("default").
			WithSource(applyv1alpha1.ApplicationSource().
				WithRepoURL("https://github.com/argoproj/argocd-example-apps.git").
				WithPath("guestbook")).
			WithDestination(applyv1alpha1.ApplicationDestination().
				WithServer("https://kubernetes.default.svc").WithNamespace("guestbook")))
	if _, err := apps.Apply(ctx, base, metav1.ApplyOptions{FieldManager: "alice"}); err != nil {
		t.Fatalf("apply by alice: %v", err)
	}

	labels := applyv1alpha1.Application("guestbook", "default").WithLabels(map[string]string{"team": "web"})
	if _, err := apps.Apply(ctx, labels, metav1.ApplyOptions{FieldManager: "bob"}); err != nil {
		t.Fatalf("apply by bob: %v", err)
	}

	conflicting := applyv1alpha1.Application("guestbook", "default").
		WithSpec(applyv1alpha1.ApplicationSpec().
			WithSource(applyv1alpha1.ApplicationSource().WithPath("helm-guestbook")))
	_, err := apps.Apply(ctx, conflicting, metav1.ApplyOptions{FieldManager: "carol"})
	if !apierrors.IsConflict(err) {
		t.Fatalf("carol applying alice's field: got %v, want a conflict", err)
	}
	app, err := apps.Apply(ctx, conflicting, metav1.ApplyOptions{FieldManager: "carol", Force: true})
	if err != nil {
		t.Fatalf("forced apply: %v", err)
	}
	if app.Spec.Source.Path != "helm-guestbook" || app.Labels["team"] != "web" || app.Spec.Project != "default" {
		t.Errorf("after both managers: path %q labels %v project %q", app.Spec.Source.Path, app.Labels, app.Spec.Project)
	}
	managers := map[string]bool{}
	for _, entry := range app.ManagedFields {
		managers[entry.Manager] = true
	}
	if !managers["alice"] || !managers["bob"] || !managers["carol"] {
		t.Errorf("managedFields managers = %v, want alice, bob and carol", managers)
	}

	// A merge patch of the operation works, as `kubectl patch app --type merge` does in Argo CD.
	app, err = apps.Patch(ctx, "guestbook", types.MergePatchType, []byte(`{"operation":{"sync":{"prune":true}}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("merge patch of operation: %v", err)
	}
	if app.Operation == nil || app.Operation.Sync == nil || !app.Operation.Sync.Prune {
		t.Errorf("operation after merge patch = %+v", app.Operation)
	}
}

func TestDefaultProjectExistsAndCannotBeDeleted(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	projects := s.client.CapstanV1alpha1().AppProjects()
	var project *v1alpha1.AppProject
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		project, err = projects.Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("the default AppProject did not appear: %v", err)
	}
	if len(project.Spec.SourceRepos) != 1 || project.Spec.SourceRepos[0] != "*" {
		t.Errorf("default project sourceRepos = %v, want [*]", project.Spec.SourceRepos)
	}
	err = projects.Delete(ctx, "default", metav1.DeleteOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("delete default project: got %v, want 403 Forbidden", err)
	}
	err = projects.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("delete all projects: got %v, want 403 Forbidden", err)
	}
	if _, err := projects.Get(ctx, "default", metav1.GetOptions{}); err != nil {
		t.Fatalf("default project after delete attempts: %v", err)
	}
}
