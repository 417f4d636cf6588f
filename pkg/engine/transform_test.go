package engine

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func transformTestApplication() *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "guestbook", Annotations: map[string]string{"a": "b"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}}},
		Spec:      v1alpha1.ApplicationSpec{Project: "default", Source: &v1alpha1.ApplicationSource{RepoURL: "https://git.example/r"}},
		Operation: &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "main"}},
		Status:    v1alpha1.ApplicationStatus{Sync: v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced}},
	}
}

func TestInformerTransformsKeepWhatTheirReadersRead(t *testing.T) {
	t.Run("controllers: everything but managedFields", func(t *testing.T) {
		out, _ := withoutManagedFields(transformTestApplication())
		app := out.(*v1alpha1.Application)
		if app.ManagedFields != nil || app.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced || app.Operation == nil ||
			app.Spec.Source == nil || app.Annotations["a"] != "b" {
			t.Errorf("got %+v", app)
		}
	})
	t.Run("a tombstone stays a tombstone", func(t *testing.T) {
		out, _ := withoutManagedFields(cache.DeletedFinalStateUnknown{Key: "apps/guestbook", Obj: transformTestApplication()})
		tombstone, ok := out.(cache.DeletedFinalStateUnknown)
		if !ok || tombstone.Obj.(*v1alpha1.Application).ManagedFields != nil {
			t.Errorf("got %#v", out)
		}
	})
}
