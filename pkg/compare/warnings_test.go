package compare

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

func newApp(namespace, name string) *v1alpha1.Application {
	return &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
}

func newObject(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion(apiVersion)
	obj.SetKind(kind)
	obj.SetNamespace(namespace)
	obj.SetName(name)
	return obj
}

func tracked(obj *unstructured.Unstructured, appNamespace, appName string) *unstructured.Unstructured {
	cluster.SetTracking(obj, appNamespace, appName)
	return obj
}

func messages(t *testing.T, conditions []v1alpha1.ApplicationCondition, conditionType v1alpha1.ApplicationConditionType) []string {
	t.Helper()
	var out []string
	for _, condition := range conditions {
		if condition.Type != conditionType {
			t.Errorf("condition %s, want only %s", condition.Type, conditionType)
		}
		out = append(out, condition.Message)
	}
	return out
}

func TestRepeatedResourceWarnings(t *testing.T) {
	deployment := cluster.ResourceKey{Group: "apps", Kind: "Deployment", Namespace: "web", Name: "guestbook"}
	configMap := cluster.ResourceKey{Kind: "ConfigMap", Namespace: "web", Name: "settings"}
	t.Run("keys seen once give no warning", func(t *testing.T) {
		if got := repeatedResourceWarnings(map[cluster.ResourceKey]int{deployment: 1}); len(got) != 0 {
			t.Errorf("got %v", got)
		}
	})
	t.Run("each repeated key gets Argo CD's message, in key order", func(t *testing.T) {
		got := messages(t, repeatedResourceWarnings(map[cluster.ResourceKey]int{deployment: 2, configMap: 3}), v1alpha1.ApplicationConditionRepeatedResourceWarning)
		want := []string{
			"Resource /ConfigMap/web/settings appeared 3 times among application resources.",
			"Resource apps/Deployment/web/guestbook appeared 2 times among application resources.",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestSharedResourceWarnings(t *testing.T) {
	app := newApp("team-a", "guestbook")
	own := tracked(newObject("v1", "ConfigMap", "web", "own"), "team-a", "guestbook")
	other := tracked(newObject("apps/v1", "Deployment", "web", "shared"), "team-b", "frontend")
	untracked := newObject("v1", "Service", "web", "adopted")
	copied := newObject("v1", "Secret", "web", "copied")
	copied.SetAnnotations(map[string]string{cluster.TrackingAnnotation: cluster.TrackingID("team-b", "frontend", cluster.KeyOf(own))})
	live := map[cluster.ResourceKey]*unstructured.Unstructured{}
	for _, obj := range []*unstructured.Unstructured{own, other, untracked, copied} {
		live[cluster.KeyOf(obj)] = obj
	}

	got := messages(t, sharedResourceWarnings(app, live), v1alpha1.ApplicationConditionSharedResourceWarning)
	want := []string{"Deployment/shared is part of applications team-a/guestbook and team-b/frontend"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q (own, untracked and copied-annotation objects are not shared)", got, want)
	}
}
