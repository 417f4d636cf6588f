package sync

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

var now = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)

// autoApp is an automated Application whose last sync went to revision "aaa".
func autoApp(change func(*v1alpha1.Application)) *v1alpha1.Application {
	source := v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/app.git", Path: "app"}
	app := &v1alpha1.Application{
		Spec: v1alpha1.ApplicationSpec{
			Source: &source,
			SyncPolicy: &v1alpha1.SyncPolicy{
				Automated:   &v1alpha1.SyncPolicyAutomated{},
				SyncOptions: v1alpha1.SyncOptions{"CreateNamespace=true"},
			},
		},
		Status: v1alpha1.ApplicationStatus{OperationState: &v1alpha1.OperationState{
			Phase:      v1alpha1.OperationSucceeded,
			Message:    "successfully synced",
			SyncResult: &v1alpha1.SyncOperationResult{Revision: "aaa", Source: source},
			FinishedAt: &metav1.Time{Time: now.Add(-time.Hour)},
		}},
	}
	if change != nil {
		change(app)
	}
	return app
}

func TestAutoSyncDecision(t *testing.T) {
	outOfSync := v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync, Revision: "bbb"}
	sameRevision := v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync, Revision: "aaa"}
	modified := []v1alpha1.ResourceStatus{{Kind: "ConfigMap", Name: "a", Status: v1alpha1.SyncStatusCodeOutOfSync}, {Kind: "ConfigMap", Name: "b", Status: v1alpha1.SyncStatusCodeSynced}}
	prunesOnly := []v1alpha1.ResourceStatus{{Kind: "ConfigMap", Name: "a", Status: v1alpha1.SyncStatusCodeOutOfSync, RequiresPruning: true}, {Kind: "ConfigMap", Name: "b", Status: v1alpha1.SyncStatusCodeSynced}}
	allPrunes := []v1alpha1.ResourceStatus{{Kind: "ConfigMap", Name: "a", Status: v1alpha1.SyncStatusCodeOutOfSync, RequiresPruning: true}}
	disabled := false
	tests := []struct {
		name         string
		app          *v1alpha1.Application
		status       v1alpha1.SyncStatus
		resources    []v1alpha1.ResourceStatus
		wantSync     bool
		wantReason   string
		wantError    bool
		wantRequeue  time.Duration
		wantSelected int
	}{{
		name: "1. no automated policy", app: autoApp(func(a *v1alpha1.Application) { a.Spec.SyncPolicy.Automated = nil }),
		status: outOfSync, resources: modified, wantReason: "automated sync is disabled",
	}, {
		name: "1. automated sync switched off", app: autoApp(func(a *v1alpha1.Application) { a.Spec.SyncPolicy.Automated.Enabled = &disabled }),
		status: outOfSync, resources: modified, wantReason: "automated sync is disabled",
	}, {
		name: "2. an operation in progress", app: autoApp(func(a *v1alpha1.Application) { a.Operation = &v1alpha1.Operation{} }),
		status: outOfSync, resources: modified, wantReason: "another operation is in progress",
	}, {
		name: "2. the Application is being deleted", app: autoApp(func(a *v1alpha1.Application) { a.DeletionTimestamp = &metav1.Time{Time: now} }),
		status: outOfSync, resources: modified, wantReason: "deletion in progress",
	}, {
		name: "3. status Synced", app: autoApp(nil), status: v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revision: "bbb"},
		resources: modified, wantReason: "application status is Synced",
	}, {
		name: "3. status Unknown", app: autoApp(nil), status: v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeUnknown},
		resources: modified, wantReason: "application status is Unknown",
	}, {
		name: "4. only prunes pending without automated prune", app: autoApp(nil), status: outOfSync, resources: prunesOnly,
		wantReason: "need to prune extra resources only but automated prune is disabled",
	}, {
		name: "5. a new revision is synced", app: autoApp(nil), status: outOfSync, resources: modified,
		wantSync: true, wantReason: "initiated automated sync to [bbb]",
	}, {
		name: "6. a failed attempt of the same revision is never retried",
		app: autoApp(func(a *v1alpha1.Application) {
			a.Status.OperationState.Phase = v1alpha1.OperationFailed
			a.Status.OperationState.Message = "one or more objects failed to apply"
		}),
		status: sameRevision, resources: modified, wantError: true,
		wantReason: "Failed last sync attempt to [aaa]: one or more objects failed to apply",
	}, {
		name:   "6. a failed attempt does not block a new revision",
		app:    autoApp(func(a *v1alpha1.Application) { a.Status.OperationState.Phase = v1alpha1.OperationFailed }),
		status: outOfSync, resources: modified, wantSync: true, wantReason: "initiated automated sync to [bbb]",
	}, {
		name: "6. a changed source is a new attempt", app: autoApp(func(a *v1alpha1.Application) { a.Spec.Source.Path = "other" }),
		status: sameRevision, resources: modified, wantSync: true, wantReason: "initiated automated sync to [aaa]",
	}, {
		name: "6. a succeeded attempt without selfHeal", app: autoApp(nil), status: sameRevision, resources: modified,
		wantReason: "most recent sync already to [aaa]",
	}, {
		name: "6. selfHeal syncs only what is not synced", app: autoApp(func(a *v1alpha1.Application) { a.Spec.SyncPolicy.Automated.SelfHeal = true }),
		status: sameRevision, resources: modified, wantSync: true, wantSelected: 1, wantReason: "initiated automated sync to [aaa]",
	}, {
		name: "6. selfHeal waits out its backoff",
		app: autoApp(func(a *v1alpha1.Application) {
			a.Spec.SyncPolicy.Automated.SelfHeal = true
			a.Status.OperationState.FinishedAt = &metav1.Time{Time: now.Add(-time.Second)}
			a.Status.OperationState.Operation.Sync = &v1alpha1.SyncOperation{SelfHealAttemptsCount: 2}
		}),
		status: sameRevision, resources: modified, wantRequeue: 5 * time.Second,
		wantReason: "already attempted sync to [aaa] (self-heal retrying in 5s)",
	}, {
		name:   "7. all resources to be pruned without allowEmpty",
		app:    autoApp(func(a *v1alpha1.Application) { a.Spec.SyncPolicy.Automated.Prune = true }),
		status: outOfSync, resources: allPrunes, wantError: true,
		wantReason: "Skipping sync attempt to [bbb]: auto-sync will wipe out all resources",
	}, {
		name: "7. all resources to be pruned with allowEmpty",
		app: autoApp(func(a *v1alpha1.Application) {
			a.Spec.SyncPolicy.Automated.Prune = true
			a.Spec.SyncPolicy.Automated.AllowEmpty = true
		}),
		status: outOfSync, resources: allPrunes, wantSync: true, wantReason: "initiated automated sync to [bbb]",
	}}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			decision := AutoSync(AutoSyncInput{App: test.app, SyncStatus: test.status, Resources: test.resources, Now: now})
			if (decision.Operation != nil) != test.wantSync || decision.Reason != test.wantReason ||
				decision.SyncError != test.wantError || decision.RequeueAfter != test.wantRequeue {
				t.Fatalf("decision = sync %v, %q, SyncError %v, requeue %s; want sync %v, %q, SyncError %v, requeue %s",
					decision.Operation != nil, decision.Reason, decision.SyncError, decision.RequeueAfter,
					test.wantSync, test.wantReason, test.wantError, test.wantRequeue)
			}
			if op := decision.Operation; op != nil && len(op.Sync.Resources) != test.wantSelected {
				t.Errorf("selected resources = %v, want %d", op.Sync.Resources, test.wantSelected)
			}
		})
	}
}

func TestAutoSyncOperation(t *testing.T) {
	app := autoApp(func(a *v1alpha1.Application) { a.Spec.SyncPolicy.Automated.Prune = true })
	decision := AutoSync(AutoSyncInput{App: app, SyncStatus: v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync, Revision: "bbb"}, Now: now,
		Resources: []v1alpha1.ResourceStatus{{Kind: "ConfigMap", Name: "a", Status: v1alpha1.SyncStatusCodeOutOfSync}}})

	op := decision.Operation
	if op == nil || !op.InitiatedBy.Automated || op.Retry.Limit != 5 || !op.Sync.Prune || op.Sync.Revision != "bbb" ||
		op.Sync.Source == nil || op.Sync.Source.Path != "app" || strings.Join(op.Sync.SyncOptions, ",") != "CreateNamespace=true" {
		t.Fatalf("operation = %+v (sync %+v)", op, op.Sync)
	}
	app.Spec.SyncPolicy.Retry = &v1alpha1.RetryStrategy{Limit: -1}
	if decision := AutoSync(AutoSyncInput{App: app, SyncStatus: v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync, Revision: "bbb"}, Now: now,
		Resources: []v1alpha1.ResourceStatus{{Kind: "ConfigMap", Name: "a", Status: v1alpha1.SyncStatusCodeOutOfSync}}}); decision.Operation.Retry.Limit != -1 {
		t.Errorf("the Application's retry strategy is not used: %+v", decision.Operation.Retry)
	}
}

func TestSelfHealBackoff(t *testing.T) {
	want := []time.Duration{0, 2 * time.Second, 6 * time.Second, 18 * time.Second, 54 * time.Second, 162 * time.Second, 300 * time.Second, 300 * time.Second}
	for attempts, delay := range want {
		if got := SelfHealDelay(DefaultSelfHealBackoff, int64(attempts)); got != delay {
			t.Errorf("attempt %d waits %s, want %s", attempts, got, delay)
		}
	}
}

func TestSelfHealAttemptsCountAgainAfterTheCooldown(t *testing.T) {
	status := v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync, Revision: "aaa"}
	resources := []v1alpha1.ResourceStatus{{Kind: "ConfigMap", Name: "a", Status: v1alpha1.SyncStatusCodeOutOfSync}}
	for _, test := range []struct {
		name     string
		finished time.Duration
		want     int64
	}{
		{name: "within the cooldown the count goes on", finished: 200 * time.Second, want: 5},
		{name: "after the cooldown it starts again", finished: 400 * time.Second, want: 1},
	} {
		t.Run(test.name, func(t *testing.T) {
			app := autoApp(func(a *v1alpha1.Application) {
				a.Spec.SyncPolicy.Automated.SelfHeal = true
				a.Status.OperationState.FinishedAt = &metav1.Time{Time: now.Add(-test.finished)}
				a.Status.OperationState.Operation.Sync = &v1alpha1.SyncOperation{SelfHealAttemptsCount: 4}
			})
			decision := AutoSync(AutoSyncInput{App: app, SyncStatus: status, Resources: resources, Now: now})
			if decision.Operation == nil || decision.Operation.Sync.SelfHealAttemptsCount != test.want {
				t.Errorf("decision = %+v, want a sync with attempts %d", decision, test.want)
			}
		})
	}
}

func TestAutoSyncWhileASourceIsUnreachablePrunesNothing(t *testing.T) {
	held := v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync, Revision: "aaa"}
	drifted := []v1alpha1.ResourceStatus{
		{Kind: "ConfigMap", Name: "drifted", Status: v1alpha1.SyncStatusCodeOutOfSync},
		{Kind: "ConfigMap", Name: "extra", Status: v1alpha1.SyncStatusCodeOutOfSync, RequiresPruning: true},
	}
	app := autoApp(func(a *v1alpha1.Application) {
		a.Spec.SyncPolicy.Automated.Prune = true
		a.Spec.SyncPolicy.Automated.SelfHeal = true
	})

	decision := AutoSync(AutoSyncInput{App: app, SyncStatus: held, Resources: drifted, Now: now, SourceUnreachable: true})
	if decision.Operation == nil {
		t.Fatalf("no self-heal while the source is unreachable: %s", decision.Reason)
	}
	if decision.Operation.Sync.Prune {
		t.Errorf("the self-heal of a held revision prunes")
	}
	if decision.Operation.Sync.Revision != "aaa" {
		t.Errorf("the self-heal syncs revision %q, want the held aaa", decision.Operation.Sync.Revision)
	}

	// The same comparison with the source reachable prunes, as before.
	if decision := AutoSync(AutoSyncInput{App: app, SyncStatus: held, Resources: drifted, Now: now}); decision.Operation == nil || !decision.Operation.Sync.Prune {
		t.Errorf("with the source reachable the automated sync does not prune: %+v", decision)
	}

	// Only prunes pending: nothing to do until the source is back.
	prunesOnly := drifted[1:]
	decision = AutoSync(AutoSyncInput{App: app, SyncStatus: held, Resources: prunesOnly, Now: now, SourceUnreachable: true})
	if decision.Operation != nil || decision.SyncError || !strings.Contains(decision.Reason, "unreachable") {
		t.Errorf("only prunes pending while the source is unreachable: %+v", decision)
	}
}
