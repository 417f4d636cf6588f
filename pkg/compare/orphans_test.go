package compare

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

func namespaced(group, kind, name string, annotations map[string]string) cluster.NamespacedObject {
	key := cluster.ResourceKey{Group: group, Kind: kind, Namespace: "web", Name: name}
	return cluster.NamespacedObject{Key: key, Object: &metav1.PartialObjectMetadata{
		ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: name, Annotations: annotations},
	}}
}

func trackingAnnotations(appNamespace, appName, group, kind, name string) map[string]string {
	key := cluster.ResourceKey{Group: group, Kind: kind, Namespace: "web", Name: name}
	return map[string]string{cluster.TrackingAnnotation: cluster.TrackingID(appNamespace, appName, key)}
}

func TestOrphanedResources(t *testing.T) {
	app := newApp("apps", "guestbook")
	app.Spec.Destination.Namespace = "web"
	managed := tracked(newObject("apps/v1", "Deployment", "web", "guestbook"), "apps", "guestbook")
	targets := map[cluster.ResourceKey]*unstructured.Unstructured{cluster.KeyOf(managed): managed}
	live := map[cluster.ResourceKey]*unstructured.Unstructured{cluster.KeyOf(managed): managed}
	existing := map[string]bool{"apps_other": true}
	objects := []cluster.NamespacedObject{
		namespaced("apps", "Deployment", "guestbook", nil),
		namespaced("", "ConfigMap", "stray", nil),
		namespaced("", "ConfigMap", "kube-root-ca.crt", nil),
		namespaced("", "ServiceAccount", "default", nil),
		namespaced("", "ServiceAccount", "builder", nil),
		namespaced("", "Secret", "other-app", trackingAnnotations("apps", "other", "", "Secret", "other-app")),
		namespaced("", "Secret", "gone-app", trackingAnnotations("apps", "deleted", "", "Secret", "gone-app")),
		namespaced("batch", "Job", "hook", trackingAnnotations("apps", "guestbook", "batch", "Job", "hook")),
		namespaced("networking.k8s.io", "Ingress", "edge", nil),
	}
	keys := func(names ...string) []cluster.ResourceKey {
		byName := map[string]cluster.ResourceKey{}
		for _, object := range objects {
			byName[object.Key.Name] = object.Key
		}
		var out []cluster.ResourceKey
		for _, name := range names {
			out = append(out, byName[name])
		}
		return out
	}
	warn := false
	tests := []struct {
		name     string
		settings v1alpha1.OrphanedResourcesMonitorSettings
		spec     v1alpha1.AppProjectSpec
		want     []cluster.ResourceKey
	}{
		{
			name: "unmanaged objects are orphans; managed, hooks, defaults and other apps' objects are not",
			want: keys("stray", "builder", "gone-app", "edge"),
		},
		{
			name:     "ignore entries match group, kind and name globs",
			settings: v1alpha1.OrphanedResourcesMonitorSettings{Ignore: []v1alpha1.OrphanedResourceKey{{Kind: "ConfigMap"}, {Group: "networking.*", Kind: "*"}, {Kind: "S*", Name: "gone-*"}}},
			want:     keys("builder"),
		},
		{
			name:     "an ignore entry's empty group matches only the core group",
			settings: v1alpha1.OrphanedResourcesMonitorSettings{Ignore: []v1alpha1.OrphanedResourceKey{{Kind: "Ingress"}}},
			want:     keys("stray", "builder", "gone-app", "edge"),
		},
		{
			name: "kinds the project does not permit are not reported",
			spec: v1alpha1.AppProjectSpec{NamespaceResourceBlacklist: []metav1.GroupKind{{Group: "", Kind: "Secret"}}},
			want: keys("stray", "builder", "edge"),
		},
		{
			name: "a whitelist limits the reported kinds",
			spec: v1alpha1.AppProjectSpec{NamespaceResourceWhitelist: []metav1.GroupKind{{Group: "networking.k8s.io", Kind: "*"}}},
			want: keys("edge"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			project := &v1alpha1.AppProject{Spec: tt.spec}
			settings := tt.settings
			project.Spec.OrphanedResources = &settings
			opts := Options{Project: project, ApplicationExists: func(instance string) bool { return existing[instance] }}
			got := orphanedResources(objects, app, opts, targets, live)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("warn defaults to true and can be turned off", func(t *testing.T) {
		if warnsOrphans(nil) || !warnsOrphans(&v1alpha1.OrphanedResourcesMonitorSettings{}) ||
			warnsOrphans(&v1alpha1.OrphanedResourcesMonitorSettings{Warn: &warn}) {
			t.Error("warn: want off without settings, on by default, off with warn: false")
		}
	})
}
