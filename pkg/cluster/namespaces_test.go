package cluster

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	metadatafake "k8s.io/client-go/metadata/fake"
)

func TestANamespaceASyncCreatedIsKnownBeforeTheWatchDeliversIt(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	client := metadatafake.NewSimpleMetadataClient(scheme)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	index := newNamespaceIndex(ctx, client)
	pollUntil(t, "the index lists the namespaces", func() bool {
		_, known := index.Get("team-a")
		return known
	})
	if exists, _ := index.Exists("team-a"); exists {
		t.Fatalf("a namespace nobody created exists")
	}

	created := &unstructured.Unstructured{}
	created.SetAPIVersion("v1")
	created.SetKind("Namespace")
	created.SetName("team-a")
	index.Applied(created)
	if exists, known := index.Exists("team-a"); !exists || !known {
		t.Errorf("the namespace the sync created is unknown (exists %v, known %v) before the watch delivers it", exists, known)
	}

	t.Run("an event of the namespace from the watch ends the entry", func(t *testing.T) {
		index.watched(&metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}})
		if exists, _ := index.Exists("team-a"); exists {
			t.Errorf("the applied entry outlived the watch's event of the namespace")
		}
	})
}
