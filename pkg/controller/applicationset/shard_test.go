package applicationset

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/generated/clientset/versioned/fake"
	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
)

func TestASharedControllerReconcilesOnlyTheApplicationSetsItOwns(t *testing.T) {
	client := fake.NewSimpleClientset()
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(client, factory, Options{Owns: func(namespace, name string) bool { return name == "mine" }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.queue.ShutDown()
	store := factory.Capstan().V1alpha1().ApplicationSets().Informer().GetStore()
	for _, name := range []string{"mine", "theirs"} {
		if err := store.Add(&v1alpha1.ApplicationSet{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: name}}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("a change of the live replicas queues the ApplicationSets this replica owns", func(t *testing.T) {
		c.OwnershipChanged()
		if got := c.queue.Len(); got != 1 {
			t.Fatalf("queued %d ApplicationSets, want 1", got)
		}
		key, _ := c.queue.Get()
		c.queue.Done(key)
		c.queue.Forget(key)
		if key != "team/mine" {
			t.Errorf("queued %s, want team/mine", key)
		}
	})
	t.Run("an ApplicationSet of another replica is dropped from the queue untouched", func(t *testing.T) {
		c.enqueue("team/theirs", true)
		if !c.processNext(context.Background()) {
			t.Fatal("processNext stopped")
		}
		if got := c.queue.Len(); got != 0 {
			t.Errorf("%d keys queued after the other replica's ApplicationSet", got)
		}
		if c.full["team/theirs"] {
			t.Errorf("the other replica's ApplicationSet is still marked for a full reconcile")
		}
		if actions := client.Actions(); len(actions) != 0 {
			t.Errorf("requests for another replica's ApplicationSet: %v", actions)
		}
	})
}
