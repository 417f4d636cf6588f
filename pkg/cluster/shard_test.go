package cluster

import (
	"context"
	"sort"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

func labelledConfigMap(name, instance string) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion("v1")
	obj.SetKind("ConfigMap")
	obj.SetNamespace("team")
	obj.SetName(name)
	obj.SetLabels(map[string]string{InstanceLabel: instance})
	return obj
}

func namesOf(objects []*unstructured.Unstructured) []string {
	var names []string
	for _, obj := range objects {
		names = append(names, obj.GetName())
	}
	sort.Strings(names)
	return names
}

func TestAShardedCacheKeepsOnlyTheObjectsOfItsShard(t *testing.T) {
	configMaps := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{configMaps: "ConfigMapList"},
		labelledConfigMap("mine", "team_mine"), labelledConfigMap("theirs", "team_theirs"))
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	objects := NewObjectCache(ctx, client, resettable{mapper}, nil)
	owned := map[string]bool{"team_mine": true}
	objects.ShardBy(func(instance string) bool { return owned[instance] })

	if _, err := objects.Watch(ctx, schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}); err != nil {
		t.Fatalf("Watch = %v", err)
	}

	t.Run("the objects of the shard are cached", func(t *testing.T) {
		if got := namesOf(objects.ObjectsOf("team_mine")); len(got) != 1 || got[0] != "mine" {
			t.Errorf("ObjectsOf(team_mine) = %v, want [mine]", got)
		}
	})
	t.Run("the objects of another replica's Application are not cached", func(t *testing.T) {
		if got := objects.ObjectsOf("team_theirs"); len(got) != 0 {
			t.Errorf("ObjectsOf(team_theirs) = %v, want none", namesOf(got))
		}
	})
	t.Run("the live objects of another replica's Application are listed from the cluster", func(t *testing.T) {
		got, err := objects.LiveObjectsOf(ctx, "team_theirs")
		if err != nil {
			t.Fatalf("LiveObjectsOf = %v", err)
		}
		if names := namesOf(got); len(names) != 1 || names[0] != "theirs" {
			t.Errorf("LiveObjectsOf(team_theirs) = %v, want [theirs]", names)
		}
	})
	t.Run("after the shard changed and a reset, the new shard is cached", func(t *testing.T) {
		owned = map[string]bool{"team_theirs": true}
		objects.Reset()
		if _, err := objects.Watch(ctx, schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}); err != nil {
			t.Fatalf("Watch = %v", err)
		}
		if got := namesOf(objects.ObjectsOf("team_theirs")); len(got) != 1 || got[0] != "theirs" {
			t.Errorf("ObjectsOf(team_theirs) = %v, want [theirs]", got)
		}
		if got := objects.ObjectsOf("team_mine"); len(got) != 0 {
			t.Errorf("ObjectsOf(team_mine) = %v, want none", namesOf(got))
		}
	})
}
