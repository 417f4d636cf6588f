package application

import (
	"context"
	"testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/compare"
)

// otherReplica is a Shard in which another replica owns every Application
// and runs every operation (pkg/sharding tests the real one).
type otherReplica struct{}

func (otherReplica) Owns(string, string) bool                  { return false }
func (otherReplica) HoldsOperation(*v1alpha1.Application) bool { return false }
func (otherReplica) ClaimOperation(_ context.Context, app *v1alpha1.Application) (*v1alpha1.Application, bool, error) {
	return app, false, nil
}

func TestAShardedControllerLeavesTheApplicationsOfOtherReplicasAlone(t *testing.T) {
	op := &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "main"}}
	f := newFixture(t, compare.Result{})
	f.apps = []*v1alpha1.Application{testApp(func(a *v1alpha1.Application) { a.Operation = op.DeepCopy() })}
	f.projects = []*v1alpha1.AppProject{defaultProject()}
	f.shard = otherReplica{}
	c := f.controller()
	defer c.queue.ShutDown()
	key := "apps/guestbook"

	t.Run("a change of its managed objects does not queue it", func(t *testing.T) {
		c.mu.Lock()
		c.byInstance[cluster.InstanceLabelValue("apps", "guestbook")] = key
		c.mu.Unlock()
		c.ManagedObjectChanged(cluster.InstanceLabelValue("apps", "guestbook"))
		if got := c.queue.Len(); got != 0 {
			t.Errorf("%d keys queued", got)
		}
	})
	t.Run("a queued key is dropped without a comparison", func(t *testing.T) {
		c.queue.Add(key)
		if !c.processNext(context.Background()) {
			t.Fatal("processNext stopped")
		}
		if len(f.comparer.asked) != 0 || len(f.writes()) != 0 {
			t.Errorf("compared %d times, wrote %v", len(f.comparer.asked), f.writes())
		}
	})
	t.Run("its operation is not started", func(t *testing.T) {
		if _, err := c.advanceOperation(context.Background(), key); err != nil {
			t.Fatalf("advanceOperation: %v", err)
		}
		if writes := f.writes(); len(writes) != 0 {
			t.Errorf("wrote %v for another replica's operation", writes)
		}
	})
}
