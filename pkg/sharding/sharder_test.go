package sharding

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

// replicaLease is the Lease another replica renewed at renewed.
func replicaLease(replica string, renewed time.Time) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: LeasePrefix + replica, Namespace: "capstan-system", Labels: map[string]string{ReplicaLabel: replica}},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity: ptr.To(replica), LeaseDurationSeconds: ptr.To(int32(15)),
			RenewTime: ptr.To(metav1.NewMicroTime(renewed)),
		},
	}
}

// runningSharder starts a Sharder named identity over client and waits until
// it knows the replicas.
func runningSharder(t *testing.T, client *fake.Clientset, identity string) *Sharder {
	t.Helper()
	s, err := New(Config{Client: client, Namespace: "capstan-system", Identity: identity, LeaseDuration: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	go s.Run(ctx)
	if err := s.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSharder(t *testing.T) {
	t.Run("a replica announces itself with a Lease and owns every key alone", func(t *testing.T) {
		client := fake.NewClientset()
		s := runningSharder(t, client, "capstan-0")
		lease, err := client.CoordinationV1().Leases("capstan-system").Get(context.Background(), "capstan-replica-capstan-0", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("the replica's Lease: %v", err)
		}
		if lease.Labels[ReplicaLabel] != "capstan-0" || *lease.Spec.HolderIdentity != "capstan-0" {
			t.Errorf("Lease labels %v holder %v", lease.Labels, *lease.Spec.HolderIdentity)
		}
		if !slices.Equal(s.Replicas(), []string{"capstan-0"}) || !s.Owns("team_app") {
			t.Errorf("replicas %v, owns team_app %v", s.Replicas(), s.Owns("team_app"))
		}
	})

	t.Run("the replicas with live Leases share the keys", func(t *testing.T) {
		client := fake.NewClientset(replicaLease("capstan-1", time.Now()))
		s := runningSharder(t, client, "capstan-0")
		if got := s.Replicas(); !slices.Equal(got, []string{"capstan-0", "capstan-1"}) {
			t.Fatalf("replicas %v", got)
		}
		owned := 0
		for i := range 100 {
			if s.Owns(KeyOf("team", "app-"+string(rune('a'+i%26))+strings.Repeat("x", i))) {
				owned++
			}
		}
		if owned == 0 || owned == 100 {
			t.Errorf("capstan-0 owns %d of 100 keys, want a share", owned)
		}
	})

	t.Run("a Lease renewed long before this replica started is expired already", func(t *testing.T) {
		client := fake.NewClientset(replicaLease("capstan-1", time.Now().Add(-time.Hour)))
		s := runningSharder(t, client, "capstan-0")
		if got := s.Replicas(); !slices.Equal(got, []string{"capstan-0"}) {
			t.Errorf("replicas %v, want only capstan-0", got)
		}
	})

	t.Run("a replica whose Lease is not renewed leaves, and its keys move, telling the handlers", func(t *testing.T) {
		s, err := New(Config{Client: fake.NewClientset(), Namespace: "capstan-system", Identity: "capstan-0", LeaseDuration: 15 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		s.renewedAt = now
		changes := 0
		s.AddHandler(func() { changes++ })
		s.observe(replicaLease("capstan-1", now))
		if got := s.Replicas(); !slices.Equal(got, []string{"capstan-0", "capstan-1"}) || changes != 1 {
			t.Fatalf("replicas %v after %d changes", got, changes)
		}
		// Within the Lease duration (measured on this replica's clock) it stays.
		s.recomputeAt(context.Background(), now.Add(10*time.Second))
		if got := s.Replicas(); len(got) != 2 {
			t.Fatalf("replicas %v within the Lease duration", got)
		}
		s.renewedAt = now.Add(16 * time.Second)
		s.recomputeAt(context.Background(), now.Add(16*time.Second))
		if got := s.Replicas(); !slices.Equal(got, []string{"capstan-0"}) || changes != 2 {
			t.Errorf("replicas %v after %d changes, want capstan-1 gone", got, changes)
		}
		if !s.Owns("team_app") {
			t.Errorf("the last replica does not own team_app")
		}
	})

	t.Run("a replica that cannot renew its own Lease owns nothing", func(t *testing.T) {
		s, err := New(Config{Client: fake.NewClientset(), Namespace: "capstan-system", Identity: "capstan-0", LeaseDuration: 15 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		s.renewedAt = now
		s.recomputeAt(context.Background(), now)
		if !s.Owns("team_app") {
			t.Fatalf("a holding replica alone does not own team_app")
		}
		s.recomputeAt(context.Background(), now.Add(13*time.Second))
		if s.Owns("team_app") || len(s.Replicas()) != 0 {
			t.Errorf("after 13s of a 15s Lease unrenewed: owns %v, replicas %v", s.Owns("team_app"), s.Replicas())
		}
	})

	t.Run("a replica name that cannot name a Lease is refused", func(t *testing.T) {
		_, err := New(Config{Client: fake.NewClientset(), Namespace: "capstan-system", Identity: "Capstan_0", LeaseDuration: 15 * time.Second})
		if err == nil || !strings.Contains(err.Error(), `replica name "Capstan_0"`) {
			t.Errorf("New = %v", err)
		}
	})
}
