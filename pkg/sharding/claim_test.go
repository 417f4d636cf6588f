package sharding

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	capstanfake "capstan.dev/capstan/pkg/generated/clientset/versioned/fake"
)

// shardOf returns the Applications shard of replica identity among live,
// holding its own Lease, over a fake clientset holding apps.
func shardOf(t *testing.T, identity string, live []string, apps ...*v1alpha1.Application) *Applications {
	t.Helper()
	s, err := New(Config{Client: fake.NewClientset(), Namespace: "capstan-system", Identity: identity, LeaseDuration: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s.renewedAt = time.Now()
	s.live = live
	client := capstanfake.NewSimpleClientset()
	for _, app := range apps {
		if _, err := client.CapstanV1alpha1().Applications(app.Namespace).Create(context.Background(), app, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return &Applications{Sharder: s, Client: client}
}

// appOwnedBy returns an Application named so that owner owns it among replicas.
func appOwnedBy(t *testing.T, owner string, replicas []string) *v1alpha1.Application {
	t.Helper()
	for i := range 1000 {
		name := "app-" + string(rune('a'+i%26)) + time.Duration(i).String()
		if (Rendezvous{}).Owner(KeyOf("team", name), replicas) == owner {
			return &v1alpha1.Application{
				ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: name},
				Operation:  &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}},
			}
		}
	}
	t.Fatalf("no name among 1000 is owned by %s", owner)
	return nil
}

func withClaim(app *v1alpha1.Application, replica string, at time.Time) *v1alpha1.Application {
	value, _ := json.Marshal(Claim{Replica: replica, Lease: "capstan-system/" + LeasePrefix + replica, At: metav1.NewTime(at)})
	app = app.DeepCopy()
	app.Annotations = map[string]string{ClaimAnnotation: string(value)}
	return app
}

func withState(app *v1alpha1.Application, phase v1alpha1.OperationPhase, finished *time.Time) *v1alpha1.Application {
	app = app.DeepCopy()
	app.Status.OperationState = &v1alpha1.OperationState{Phase: phase, StartedAt: metav1.Now()}
	if finished != nil {
		app.Status.OperationState.FinishedAt = &metav1.Time{Time: *finished}
	}
	return app
}

func TestClaimOperation(t *testing.T) {
	replicas := []string{"capstan-0", "capstan-1"}
	now := time.Now()
	hourAgo := now.Add(-time.Hour)
	mine := appOwnedBy(t, "capstan-0", replicas)
	theirs := appOwnedBy(t, "capstan-1", replicas)
	for _, tc := range []struct {
		name  string
		app   *v1alpha1.Application
		live  []string
		claim bool
		// wrote tells whether a new claim by capstan-0 is written.
		wrote bool
	}{
		{name: "the owner claims a new operation", app: mine, live: replicas, claim: true, wrote: true},
		{name: "a replica does not claim the operation of an Application it does not own", app: theirs, live: replicas},
		{name: "the claimant keeps running its operation after the Application moved to another replica",
			app: withState(withClaim(theirs, "capstan-0", now), v1alpha1.OperationRunning, nil), live: replicas, claim: true},
		{name: "the owner leaves a running operation to its live claimant",
			app: withState(withClaim(mine, "capstan-1", now), v1alpha1.OperationRunning, nil), live: replicas},
		{name: "the owner leaves a claimed operation that has not started to its live claimant",
			app: withClaim(mine, "capstan-1", now), live: replicas},
		{name: "the owner takes a running operation over when its claimant's Lease expired",
			app: withState(withClaim(mine, "capstan-1", now), v1alpha1.OperationRunning, nil), live: []string{"capstan-0"}, claim: true, wrote: true},
		{name: "a claim for an operation that finished claims nothing: the owner claims the next operation",
			app: withState(withClaim(mine, "capstan-1", hourAgo), v1alpha1.OperationSucceeded, &now), live: replicas, claim: true, wrote: true},
		{name: "the former claimant does not run the next operation of an Application it no longer owns",
			app: withState(withClaim(theirs, "capstan-0", hourAgo), v1alpha1.OperationSucceeded, &now), live: replicas},
		{name: "without an operation nothing is claimed",
			app: func() *v1alpha1.Application { app := mine.DeepCopy(); app.Operation = nil; return app }(), live: replicas},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shard := shardOf(t, "capstan-0", tc.live, tc.app)
			written, claimed, err := shard.ClaimOperation(context.Background(), tc.app)
			if err != nil {
				t.Fatalf("ClaimOperation = %v", err)
			}
			if claimed != tc.claim {
				t.Errorf("claimed %v, want %v", claimed, tc.claim)
			}
			if claimed != shard.HoldsOperation(written) {
				t.Errorf("HoldsOperation after the claim = %v, want %v", !claimed, claimed)
			}
			stored, err := shard.Client.CapstanV1alpha1().Applications("team").Get(context.Background(), tc.app.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			claim, _ := ClaimOf(stored)
			wrote := claim.Replica == "capstan-0" && stored.Annotations[ClaimAnnotation] != tc.app.Annotations[ClaimAnnotation]
			if wrote != tc.wrote {
				t.Errorf("wrote a claim %v (%q), want %v", wrote, stored.Annotations[ClaimAnnotation], tc.wrote)
			}
			if wrote && claim.Lease != "capstan-system/capstan-replica-capstan-0" {
				t.Errorf("the claim names the Lease %q", claim.Lease)
			}
		})
	}
	t.Run("a replica that does not hold its own Lease claims nothing", func(t *testing.T) {
		shard := shardOf(t, "capstan-0", replicas, mine)
		shard.renewedAt = time.Time{}
		if _, claimed, err := shard.ClaimOperation(context.Background(), mine); claimed || err != nil {
			t.Errorf("ClaimOperation = %v, %v", claimed, err)
		}
	})
}
