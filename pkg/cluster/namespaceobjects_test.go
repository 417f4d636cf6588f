package cluster

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	clienttesting "k8s.io/client-go/testing"
)

// A CRD deleted after discovery listed it is a failure of timing the real
// server produces only by chance; a fake metadata client injects it.
func TestOrphansOfAKindThatCannotBeListedAreSkippedInsteadOfWaitedFor(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	stray := &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "stray", Namespace: "team-a"},
	}
	client := metadatafake.NewSimpleMetadataClient(scheme, stray)
	widgets := schema.GroupResource{Group: "e2e.capstan.dev", Resource: "widgets"}
	client.PrependReactor("list", "widgets", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewNotFound(widgets, "")
	})
	disco := &fakediscovery.FakeDiscovery{Fake: &clienttesting.Fake{Resources: []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{{Name: "configmaps", Namespaced: true, Kind: "ConfigMap", Verbs: []string{"list", "watch"}}}},
		{GroupVersion: "e2e.capstan.dev/v1", APIResources: []metav1.APIResource{{Name: "widgets", Namespaced: true, Kind: "Widget", Verbs: []string{"list", "watch"}}}},
	}}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	objects := NewNamespaceObjects(ctx, client, disco)

	// Before, TopLevel waited for the widgets to list until its context ended.
	if _, err := objects.TopLevel(ctx, "team-a"); err != nil {
		t.Fatalf("TopLevel = %v; want an answer without waiting for the kind that cannot be listed", err)
	}
}
