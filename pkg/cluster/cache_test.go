package cluster

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
)

// A destination that forbids listing is a failure the local control plane
// cannot produce for the admin the tests use, so a fake client injects it.
func TestWatchReportsAForbiddenListInsteadOfWaiting(t *testing.T) {
	configMaps := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{configMaps: "ConfigMapList"})
	var forbidden atomic.Bool
	forbidden.Store(true)
	client.PrependReactor("list", "configmaps", func(clienttesting.Action) (bool, runtime.Object, error) {
		if forbidden.Load() {
			return true, nil, apierrors.NewForbidden(configMaps.GroupResource(), "", nil)
		}
		return false, nil, nil
	})
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	objects := NewObjectCache(ctx, client, resettable{mapper}, nil)

	_, err := objects.Watch(ctx, schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"})
	if err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("Watch = %v, want a forbidden error", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("Watch waited for its context instead of reporting the error")
	}

	forbidden.Store(false)
	if _, err := objects.Watch(ctx, schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}); err != nil {
		t.Errorf("Watch after the permission came back = %v", err)
	}
}

type resettable struct{ meta.RESTMapper }

func (resettable) Reset() {}

func TestARestrictedCacheWatchesOnlyItsNamespaces(t *testing.T) {
	configMaps := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	namespacesResource := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{configMaps: "ConfigMapList", namespacesResource: "NamespaceList"})
	var listed sync.Map
	client.PrependReactor("list", "configmaps", func(action clienttesting.Action) (bool, runtime.Object, error) {
		listed.Store(action.GetNamespace(), true)
		return false, nil, nil
	})
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	mapper.Add(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, meta.RESTScopeRoot)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	objects := NewObjectCache(ctx, client, resettable{mapper}, nil)
	objects.RestrictTo([]string{"team-a", "team-b"}, false)

	if _, err := objects.Watch(ctx, schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}); err != nil {
		t.Fatalf("Watch ConfigMaps = %v", err)
	}
	for _, namespace := range []string{"team-a", "team-b"} {
		if _, ok := listed.Load(namespace); !ok {
			t.Errorf("ConfigMaps of %s were not listed", namespace)
		}
	}
	if _, ok := listed.Load(""); ok {
		t.Errorf("ConfigMaps were listed across every namespace")
	}
	if _, err := objects.Watch(ctx, schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}); err == nil || !strings.Contains(err.Error(), "clusterResources is false") {
		t.Errorf("Watch of a cluster-scoped kind = %v, want a refusal", err)
	}
	if objects.NamespaceManaged("team-c") || !objects.NamespaceManaged("team-a") {
		t.Errorf("NamespaceManaged does not follow the restriction")
	}
}
