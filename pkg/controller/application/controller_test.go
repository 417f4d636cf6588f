package application

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/compare"
	"capstan.dev/capstan/pkg/generated/clientset/versioned/fake"
	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
	"capstan.dev/capstan/pkg/health"
	syncengine "capstan.dev/capstan/pkg/sync"
	"capstan.dev/capstan/pkg/target"
)

// These are unit tests of the controller's decisions, in the style of
// Kubernetes' controller tests: a fake clientset, informer caches preloaded
// with the objects, a scripted comparison, and the API actions the decision
// took. The integration and e2e tiers run the same code against the real
// thing.

// scriptedComparer answers every comparison with result and records the
// options it was asked with.
type scriptedComparer struct {
	result compare.Result
	asked  []compare.Options
	// inputs answer Inputs; inputsErr, when set, fails it.
	inputs    compare.Inputs
	inputsErr error
}

func (s *scriptedComparer) Inputs(context.Context, *v1alpha1.Application, compare.Options) (compare.Inputs, error) {
	return s.inputs, s.inputsErr
}

func (s *scriptedComparer) Compare(_ context.Context, _ *v1alpha1.Application, opts compare.Options) compare.Result {
	s.asked = append(s.asked, opts)
	return s.result
}

func (s *scriptedComparer) LiveState(context.Context, *v1alpha1.Application, *v1alpha1.AppProject) (*cluster.Cluster, map[cluster.ResourceKey]*unstructured.Unstructured, error) {
	return nil, nil, errors.New("no cluster in unit tests")
}

func (s *scriptedComparer) RememberApplied(*v1alpha1.Application, *unstructured.Unstructured, *unstructured.Unstructured) error {
	return nil
}

func (s *scriptedComparer) WriteClient(*v1alpha1.Application, *v1alpha1.AppProject, *cluster.Cluster) (dynamic.Interface, error) {
	return nil, errors.New("no cluster in unit tests")
}

func (s *scriptedComparer) SyncApplier(*v1alpha1.Application, *v1alpha1.AppProject, *cluster.Cluster) (syncengine.Applier, error) {
	return nil, errors.New("no cluster in unit tests")
}

func (s *scriptedComparer) HealthAssessor() health.Assessor { return nil }

// fixture holds the objects a test starts from and the controller built over them.
type fixture struct {
	t        *testing.T
	apps     []*v1alpha1.Application
	projects []*v1alpha1.AppProject
	comparer *scriptedComparer
	client   *fake.Clientset
	// shard, when set, is the controller's Options.Shard.
	shard Shard
	// appInformer is the controller's informer of Applications (not running).
	appInformer interface{ GetIndexer() cache.Indexer }
}

func newFixture(t *testing.T, result compare.Result) *fixture {
	return &fixture{t: t, comparer: &scriptedComparer{result: result}}
}

// controller builds the controller with the fixture's objects in the fake
// clientset and in the informer caches, and forgets the set-up's actions.
func (f *fixture) controller() *Controller {
	f.t.Helper()
	var objects []runtime.Object
	for _, app := range f.apps {
		objects = append(objects, app)
	}
	for _, proj := range f.projects {
		objects = append(objects, proj)
	}
	f.client = fake.NewSimpleClientset(objects...)
	factory := informers.NewSharedInformerFactory(f.client, 0)
	apps := factory.Capstan().V1alpha1().Applications()
	projects := factory.Capstan().V1alpha1().AppProjects()
	for _, app := range f.apps {
		if err := apps.Informer().GetIndexer().Add(app); err != nil {
			f.t.Fatal(err)
		}
	}
	for _, proj := range f.projects {
		if err := projects.Informer().GetIndexer().Add(proj); err != nil {
			f.t.Fatal(err)
		}
	}
	f.appInformer = apps.Informer()
	c, err := New(f.client, apps.Informer(), apps.Lister(), f.comparer, Options{Projects: projects.Informer(), Shard: f.shard})
	if err != nil {
		f.t.Fatal(err)
	}
	f.client.ClearActions()
	return c
}

// writes are the actions that changed something: verb and subresource.
func (f *fixture) writes() []string {
	var out []string
	for _, action := range f.client.Actions() {
		if action.GetVerb() == "get" || action.GetVerb() == "list" || action.GetVerb() == "watch" {
			continue
		}
		out = append(out, strings.TrimSuffix(action.GetVerb()+"/"+action.GetSubresource(), "/"))
	}
	return out
}

// written returns the Application of the last write of verb ("update" or
// "update/status").
func (f *fixture) written(verb string) *v1alpha1.Application {
	f.t.Helper()
	actions := f.client.Actions()
	for i := len(actions) - 1; i >= 0; i-- {
		update, ok := actions[i].(clienttesting.UpdateAction)
		if !ok || strings.TrimSuffix(update.GetVerb()+"/"+update.GetSubresource(), "/") != verb {
			continue
		}
		return update.GetObject().(*v1alpha1.Application)
	}
	f.t.Fatalf("no %s among %v", verb, f.writes())
	return nil
}

func testApp(mutate ...func(*v1alpha1.Application)) *v1alpha1.Application {
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: "apps", Generation: 1},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/r.git", Path: "guestbook", TargetRevision: "main"},
			Destination: v1alpha1.ApplicationDestination{Server: cluster.InClusterServer, Namespace: "guestbook"},
		},
	}
	for _, m := range mutate {
		m(app)
	}
	return app
}

func automatedApp(app *v1alpha1.Application) {
	app.Spec.SyncPolicy = &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true}}
}

func defaultProject(mutate ...func(*v1alpha1.AppProject)) *v1alpha1.AppProject {
	proj := &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: v1alpha1.AppProjectSpec{
		SourceRepos: []string{"*"}, Destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}},
	}}
	for _, m := range mutate {
		m(proj)
	}
	return proj
}

// compared is a successful comparison at revision with one resource.
func compared(syncStatus v1alpha1.SyncStatusCode, healthStatus v1alpha1.HealthStatusCode) compare.Result {
	return compare.Result{
		Target:     &target.Target{Revision: "abc123"},
		SyncStatus: syncStatus,
		Health:     v1alpha1.HealthStatus{Status: healthStatus},
		Resources: []v1alpha1.ResourceStatus{{Version: "v1", Kind: "ConfigMap", Namespace: "guestbook", Name: "config",
			Status: syncStatus, Health: &v1alpha1.HealthStatus{Status: healthStatus}}},
		Cluster: &cluster.Cluster{Server: cluster.InClusterServer},
	}
}

func TestReconcile(t *testing.T) {
	failedComparison := compare.Result{
		SyncStatus: v1alpha1.SyncStatusCodeUnknown,
		Health:     v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusUnknown},
		Conditions: []v1alpha1.ApplicationCondition{{Type: v1alpha1.ApplicationConditionComparisonError, Message: "repository unreachable"}},
	}
	denyAlways := func(p *v1alpha1.AppProject) {
		p.Spec.SyncWindows = v1alpha1.SyncWindows{{Kind: "deny", Schedule: "* * * * *", Duration: "1h", Applications: []string{"*"}}}
	}
	tests := []struct {
		name    string
		app     *v1alpha1.Application
		project *v1alpha1.AppProject
		result  compare.Result
		// wantWrites are the writes, in order; wantErr a phrase of the error.
		wantWrites []string
		wantErr    string
		check      func(t *testing.T, f *fixture, c *Controller)
	}{
		{
			name: "a new comparison is published in one status write",
			app:  testApp(), project: defaultProject(), result: compared(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusHealthy),
			wantWrites: []string{"update/status"},
			check: func(t *testing.T, f *fixture, _ *Controller) {
				status := f.written("update/status").Status
				if status.Sync.Status != v1alpha1.SyncStatusCodeSynced || status.Sync.Revision != "abc123" || status.Health.Status != v1alpha1.HealthStatusHealthy {
					t.Errorf("status %+v", status)
				}
			},
		},
		{
			name: "an unchanged comparison writes nothing",
			app: testApp(func(a *v1alpha1.Application) {
				now := metav1.Now()
				a.Status.Sync = v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revision: "abc123",
					ComparedTo: v1alpha1.ComparedTo{Source: *a.Spec.Source, Destination: a.Spec.Destination}}
				a.Status.Health = v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusHealthy, LastTransitionTime: &now}
				a.Status.Resources = compared(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusHealthy).Resources
			}),
			project: defaultProject(), result: compared(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusHealthy),
		},
		{
			name: "an automated Application that is OutOfSync gets an automated sync operation",
			app:  testApp(automatedApp), project: defaultProject(), result: compared(v1alpha1.SyncStatusCodeOutOfSync, v1alpha1.HealthStatusMissing),
			// One write: the comparison's status, the sync requested and
			// recorded as started.
			wantWrites: []string{"update/status"},
			check: func(t *testing.T, f *fixture, c *Controller) {
				written := f.written("update/status")
				op := written.Operation
				if op == nil || !op.InitiatedBy.Automated || op.Sync == nil || op.Sync.Revision != "abc123" || !op.Sync.Prune {
					t.Errorf("operation %+v, want an automated sync of abc123 with prune", op)
				}
				if state := written.Status.OperationState; state == nil || state.Phase != v1alpha1.OperationRunning || state.StartedAt.IsZero() {
					t.Errorf("operationState %+v, want the sync recorded as Running in the same write", state)
				}
				if written.Status.Sync.Status != v1alpha1.SyncStatusCodeOutOfSync || written.Status.Health.Status != v1alpha1.HealthStatusMissing {
					t.Errorf("status %+v, want the comparison's OutOfSync and Missing in the same write", written.Status)
				}
				if c.operations.Len() != 1 {
					t.Errorf("%d Applications queued for the operation workers, want the one just started", c.operations.Len())
				}
				if handed := c.written["apps/guestbook"]; handed == nil || handed.Operation == nil {
					t.Errorf("the written copy was not handed to the operation workers: %+v", handed)
				}
			},
		},
		{
			name: "an automated sync due on a refresh request starts in the comparison's write, on the copy where the request is cleared",
			app: testApp(automatedApp, func(a *v1alpha1.Application) {
				a.Annotations = map[string]string{RefreshAnnotation: "normal"}
			}),
			project: defaultProject(), result: compared(v1alpha1.SyncStatusCodeOutOfSync, v1alpha1.HealthStatusMissing),
			// Two writes, where there were three and a read: the request
			// cleared, then the status with the sync started on top of it
			// (the last write before the operation's first step).
			wantWrites: []string{"patch", "update/status"},
			check: func(t *testing.T, f *fixture, c *Controller) {
				written := f.written("update/status")
				if written.Operation == nil || written.Status.OperationState == nil || written.Status.OperationState.Phase != v1alpha1.OperationRunning {
					t.Errorf("status write: operation %+v, state %+v; want the sync started", written.Operation, written.Status.OperationState)
				}
				if written.Status.Sync.Status != v1alpha1.SyncStatusCodeOutOfSync {
					t.Errorf("status write: sync %q, want the comparison's OutOfSync in the same write", written.Status.Sync.Status)
				}
				handed := c.written["apps/guestbook"]
				if handed == nil || handed.Operation == nil || handed.Status.OperationState == nil {
					t.Fatalf("the operation workers were not handed the started sync: %+v", handed)
				}
				if _, requested := handed.Annotations[RefreshAnnotation]; requested {
					t.Errorf("the operation workers were handed the copy that still asks for a refresh")
				}
				if _, requested := written.Annotations[RefreshAnnotation]; requested {
					t.Errorf("the sync was started by a status write on the copy that still asks for a refresh")
				}
				if c.operations.Len() != 1 {
					t.Errorf("%d Applications queued for the operation workers, want the one just started", c.operations.Len())
				}
			},
		},
		{
			name: "a deny window holds the automated sync",
			app:  testApp(automatedApp), project: defaultProject(denyAlways), result: compared(v1alpha1.SyncStatusCodeOutOfSync, v1alpha1.HealthStatusMissing),
			wantWrites: []string{"update/status"},
		},
		{
			name: "a manual Application that is OutOfSync is left alone",
			app:  testApp(), project: defaultProject(), result: compared(v1alpha1.SyncStatusCodeOutOfSync, v1alpha1.HealthStatusMissing),
			wantWrites: []string{"update/status"},
		},
		{
			name: "a failed comparison is published as a condition and retried",
			app:  testApp(automatedApp), project: defaultProject(), result: failedComparison,
			wantWrites: []string{"update/status"}, wantErr: "repository unreachable",
			check: func(t *testing.T, f *fixture, _ *Controller) {
				conditions := f.written("update/status").Status.Conditions
				if len(conditions) != 1 || conditions[0].Type != v1alpha1.ApplicationConditionComparisonError {
					t.Errorf("conditions %+v", conditions)
				}
			},
		},
		{
			name: "an Application with an operation is handed to the operation workers without a comparison",
			app: testApp(func(a *v1alpha1.Application) {
				a.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "main"}}
			}),
			project: defaultProject(), result: compared(v1alpha1.SyncStatusCodeOutOfSync, v1alpha1.HealthStatusMissing),
			check: func(t *testing.T, f *fixture, c *Controller) {
				if len(f.comparer.asked) != 0 {
					t.Errorf("compared %d times", len(f.comparer.asked))
				}
				if c.operations.Len() != 1 {
					t.Errorf("%d keys in the operation queue, want 1", c.operations.Len())
				}
			},
		},
		{
			name: "a comparison holding the last resolved revision self-heals to it without pruning and looks at the source again",
			app: testApp(automatedApp, func(a *v1alpha1.Application) {
				a.Spec.SyncPolicy.Automated.SelfHeal = true
			}),
			project: defaultProject(),
			result: func() compare.Result {
				result := compared(v1alpha1.SyncStatusCodeOutOfSync, v1alpha1.HealthStatusHealthy)
				result.Resources = append(result.Resources, v1alpha1.ResourceStatus{Version: "v1", Kind: "ConfigMap",
					Namespace: "guestbook", Name: "extra", Status: v1alpha1.SyncStatusCodeOutOfSync, RequiresPruning: true})
				result.Held = &compare.Hold{Revision: "abc123", Since: time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC), Err: errors.New("repository unreachable")}
				result.Conditions = []v1alpha1.ApplicationCondition{result.Held.Condition()}
				return result
			}(),
			wantWrites: []string{"update/status"},
			wantErr:    "holding the last resolved revision",
			check: func(t *testing.T, f *fixture, _ *Controller) {
				if !f.comparer.asked[0].HoldOnOutage {
					t.Errorf("a refresh does not ask to hold on outages")
				}
				status := f.written("update/status").Status
				if status.Health.Status != v1alpha1.HealthStatusHealthy || status.Sync.Revision != "abc123" ||
					len(status.Conditions) != 1 || !strings.HasPrefix(status.Conditions[0].Message, "Source unreachable since 2026-12-06T04:00:00Z") {
					t.Errorf("status %+v", status)
				}
				op := f.written("update/status").Operation
				if op == nil || op.Sync == nil || op.Sync.Revision != "abc123" || op.Sync.Prune {
					t.Errorf("operation %+v, want a sync of the held abc123 without prune", op)
				}
			},
		},
		{
			name: "a failed comparison keeps the comparedTo of the revision it last resolved",
			app: testApp(func(a *v1alpha1.Application) {
				a.Status.Sync = v1alpha1.SyncStatus{Revision: "abc123", ComparedTo: v1alpha1.ComparedTo{Source: *a.Spec.Source}}
				a.Spec.Source.TargetRevision = "release"
			}),
			project: defaultProject(), result: failedComparison,
			wantWrites: []string{"update/status"},
			wantErr:    "comparison failed",
			check: func(t *testing.T, f *fixture, _ *Controller) {
				status := f.written("update/status").Status
				if status.Sync.Revision != "abc123" || status.Sync.ComparedTo.Source.TargetRevision == "release" {
					t.Errorf("sync status %+v: the revision is paired with a spec it was not resolved for", status.Sync)
				}
			},
		},
		{
			name: "the comparison is told the project, and whether it is missing",
			app:  testApp(), result: compared(v1alpha1.SyncStatusCodeSynced, v1alpha1.HealthStatusHealthy),
			wantWrites: []string{"update/status"},
			check: func(t *testing.T, f *fixture, _ *Controller) {
				if opts := f.comparer.asked[0]; !opts.ProjectMissing || opts.Project != nil {
					t.Errorf("asked with project %v, missing %v; want missing", opts.Project, opts.ProjectMissing)
				}
			},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			f := newFixture(t, test.result)
			f.apps = []*v1alpha1.Application{test.app}
			if test.project != nil {
				f.projects = []*v1alpha1.AppProject{test.project}
			}
			c := f.controller()
			defer c.queue.ShutDown()
			defer c.operations.ShutDown()
			err := c.reconcile(context.Background(), "apps/guestbook", test.app)
			switch {
			case test.wantErr == "" && err != nil:
				t.Fatalf("reconcile: %v", err)
			case test.wantErr != "" && (err == nil || !strings.Contains(err.Error(), test.wantErr)):
				t.Fatalf("reconcile: %v, want an error saying %q", err, test.wantErr)
			}
			if got := f.writes(); !slices.Equal(got, test.wantWrites) {
				t.Errorf("writes %v, want %v", got, test.wantWrites)
			}
			if test.check != nil {
				test.check(t, f, c)
			}
		})
	}
}

func TestRunOperation(t *testing.T) {
	op := &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "main"}}
	running := func(a *v1alpha1.Application) {
		a.Operation = op.DeepCopy()
		a.Status.OperationState = &v1alpha1.OperationState{Operation: *op.DeepCopy(), Phase: v1alpha1.OperationRunning, StartedAt: metav1.Now()}
	}
	denyAlways := func(p *v1alpha1.AppProject) {
		p.Spec.SyncWindows = v1alpha1.SyncWindows{{Kind: "deny", Schedule: "* * * * *", Duration: "1h", Applications: []string{"*"}}}
	}
	tests := []struct {
		name      string
		app       *v1alpha1.Application
		project   *v1alpha1.AppProject
		result    compare.Result
		timeout   time.Duration
		wantNext  time.Duration
		wantPhase v1alpha1.OperationPhase
		wantMsg   string
		cleared   bool
		// startedFirst: the first write records the start (Running), and
		// the step goes on with the copy written.
		startedFirst bool
	}{
		{name: "a new operation is recorded as started before anything is done, then goes on at once",
			app: testApp(func(a *v1alpha1.Application) { a.Operation = op.DeepCopy() }), project: defaultProject(),
			result:       compare.Result{Conditions: []v1alpha1.ApplicationCondition{{Type: v1alpha1.ApplicationConditionComparisonError, Message: "render failed"}}},
			startedFirst: true, wantPhase: v1alpha1.OperationError, wantMsg: "render failed", cleared: true},
		{name: "an operation without a sync ends in Error",
			app: testApp(func(a *v1alpha1.Application) { a.Operation = &v1alpha1.Operation{} }), project: defaultProject(),
			wantPhase: v1alpha1.OperationError, wantMsg: "the operation has no sync", cleared: true},
		{name: "a deny window holds a running manual operation, Running with the reason",
			app: testApp(running), project: defaultProject(denyAlways),
			wantPhase: v1alpha1.OperationRunning, wantMsg: "blocked by sync window"},
		{name: "a comparison that fails ends the operation in Error with its message",
			app: testApp(running), project: defaultProject(),
			result:    compare.Result{Conditions: []v1alpha1.ApplicationCondition{{Type: v1alpha1.ApplicationConditionComparisonError, Message: "render failed"}}},
			wantPhase: v1alpha1.OperationError, wantMsg: "render failed", cleared: true},
		{name: "an operation past --sync-timeout is terminated",
			app: testApp(func(a *v1alpha1.Application) {
				running(a)
				a.Status.OperationState.StartedAt = metav1.NewTime(time.Now().Add(-time.Hour))
			}),
			project: defaultProject(), timeout: time.Minute,
			wantNext: time.Millisecond, wantPhase: v1alpha1.OperationTerminating, wantMsg: "due to timeout"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			f := newFixture(t, test.result)
			f.apps = []*v1alpha1.Application{test.app}
			f.projects = []*v1alpha1.AppProject{test.project}
			c := f.controller()
			c.options.SyncTimeout = test.timeout
			next, err := c.runOperation(context.Background(), test.app)
			if err != nil {
				t.Fatalf("runOperation: %v", err)
			}
			if test.wantNext != 0 && next != test.wantNext {
				t.Errorf("next look in %s, want %s", next, test.wantNext)
			}
			if test.startedFirst {
				var states []*v1alpha1.OperationState
				for _, action := range f.client.Actions() {
					if update, ok := action.(clienttesting.UpdateAction); ok && update.GetSubresource() == "status" {
						states = append(states, update.GetObject().(*v1alpha1.Application).Status.OperationState)
					}
				}
				if len(states) != 2 || states[0] == nil || states[0].Phase != v1alpha1.OperationRunning || states[0].Message != "Sync operation started" {
					t.Fatalf("status writes %+v, want the start (Running) first, then the step's outcome", states)
				}
				if len(f.comparer.asked) != 1 {
					t.Errorf("%d comparisons after the start was recorded, want 1: the step goes on without waiting", len(f.comparer.asked))
				}
			}
			written := f.written("update/status")
			state := written.Status.OperationState
			if state == nil || state.Phase != test.wantPhase || !strings.Contains(state.Message, test.wantMsg) {
				t.Fatalf("operation state %+v, want %s saying %q", state, test.wantPhase, test.wantMsg)
			}
			if cleared := written.Operation == nil; cleared != test.cleared {
				t.Errorf("operation cleared = %v, want %v", cleared, test.cleared)
			}
		})
	}
}

func TestFinalizeDeletion(t *testing.T) {
	deleting := func(finalizers ...string) func(*v1alpha1.Application) {
		return func(a *v1alpha1.Application) {
			now := metav1.Now()
			a.DeletionTimestamp = &now
			a.Finalizers = finalizers
		}
	}
	tests := []struct {
		name       string
		app        *v1alpha1.Application
		project    *v1alpha1.AppProject
		result     compare.Result
		wantWrites []string
		check      func(t *testing.T, f *fixture)
	}{
		{name: "without a deletion finalizer nothing in the destination is touched",
			app: testApp(deleting("example.com/other")), project: defaultProject()},
		{name: "a missing project holds the deletion with a DeletionError",
			app: testApp(deleting(v1alpha1.ResourcesFinalizerName)), wantWrites: []string{"update/status"},
			check: func(t *testing.T, f *fixture) {
				conditions := f.written("update/status").Status.Conditions
				if len(conditions) != 1 || conditions[0].Type != v1alpha1.ApplicationConditionDeletionError ||
					!strings.Contains(conditions[0].Message, "does not exist") {
					t.Errorf("conditions %+v", conditions)
				}
				if len(f.comparer.asked) != 0 {
					t.Errorf("compared without a project")
				}
			}},
		{name: "the resources finalizer is removed once nothing owned is left",
			app: testApp(deleting(v1alpha1.ResourcesFinalizerName, "example.com/other")), project: defaultProject(),
			result:     compare.Result{Cluster: &cluster.Cluster{Server: cluster.InClusterServer}, Live: map[cluster.ResourceKey]*unstructured.Unstructured{}},
			wantWrites: []string{"update"},
			check: func(t *testing.T, f *fixture) {
				if finalizers := f.written("update").Finalizers; !slices.Equal(finalizers, []string{"example.com/other"}) {
					t.Errorf("finalizers %v, want only the other one", finalizers)
				}
			}},
		{name: "the PreDelete stage fails clearly when the target state cannot be read",
			app: testApp(deleting(v1alpha1.PreDeleteFinalizerName, v1alpha1.ResourcesFinalizerName)), project: defaultProject(),
			result:     compare.Result{Conditions: []v1alpha1.ApplicationCondition{{Message: "render failed"}}},
			wantWrites: []string{"update/status"},
			check: func(t *testing.T, f *fixture) {
				conditions := f.written("update/status").Status.Conditions
				if len(conditions) != 1 || !strings.Contains(conditions[0].Message, "cannot run the PreDelete hooks: render failed") {
					t.Errorf("conditions %+v", conditions)
				}
			}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			f := newFixture(t, test.result)
			f.apps = []*v1alpha1.Application{test.app}
			if test.project != nil {
				f.projects = []*v1alpha1.AppProject{test.project}
			}
			c := f.controller()
			if _, err := c.finalizeDeletion(context.Background(), test.app); err != nil {
				t.Fatalf("finalizeDeletion: %v", err)
			}
			if got := f.writes(); !slices.Equal(got, test.wantWrites) {
				t.Errorf("writes %v, want %v", got, test.wantWrites)
			}
			if test.check != nil {
				test.check(t, f)
			}
		})
	}
}
