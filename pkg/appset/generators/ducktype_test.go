package generators

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

// placementDecision is a duck-typed resource listing clusters in its status.
func placementDecision(name string, labels map[string]string, clusters ...string) *unstructured.Unstructured {
	decisions := []any{}
	for _, cluster := range clusters {
		decisions = append(decisions, map[string]any{"clusterName": cluster, "reason": "picked"})
	}
	object := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cluster.open-cluster-management.io/v1beta1",
		"kind":       "PlacementDecision",
		"metadata":   map[string]any{"name": name, "namespace": "team"},
		"status":     map[string]any{"decisions": decisions},
	}}
	object.SetLabels(labels)
	return object
}

func TestClusterDecisionResourceGenerator(t *testing.T) {
	gvr := schema.GroupVersionResource{Group: "cluster.open-cluster-management.io", Version: "v1beta1", Resource: "placementdecisions"}
	kube := tokenClient(&corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "ocm-placement", Namespace: "team"},
		Data:       map[string]string{"apiVersion": gvr.GroupVersion().String(), "kind": "PlacementDecision", "statusListKey": "decisions", "matchKey": "clusterName"},
	})
	kube.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{
		GroupVersion: gvr.GroupVersion().String(),
		APIResources: []metav1.APIResource{{Name: "placementdecisions", Kind: "PlacementDecision", Namespaced: true}},
	}}
	dynamic := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{gvr: "PlacementDecisionList"},
		placementDecision("placement", map[string]string{"app": "web"}, "staging", "unknown-cluster"),
		placementDecision("other", nil, "Prod-East"))
	g := New(Sources{Kube: kube, Dynamic: dynamic, Clusters: testClusters})
	tests := []struct {
		name string
		spec string
		want []string
	}{
		{
			name: "by name: decisions naming known clusters, with every field of the decision",
			spec: `generators: [{clusterDecisionResource: {configMapRef: ocm-placement, name: placement, values: {x: "{{name}}"}}}]`,
			want: []string{`{"clusterName":"staging","name":"staging","reason":"picked","server":"https://staging.example.com","values.x":"staging"}`},
		},
		{
			name: "by label selector",
			spec: `generators: [{clusterDecisionResource: {configMapRef: ocm-placement, labelSelector: {matchLabels: {app: web}}}}]`,
			want: []string{`{"clusterName":"staging","name":"staging","reason":"picked","server":"https://staging.example.com"}`},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := generate(t, g, appSetFromYAML(t, test.spec+scmTemplate)); !equalStrings(got, test.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(test.want, "\n"))
			}
		})
	}
	for _, bad := range []struct{ spec, want string }{
		{`generators: [{clusterDecisionResource: {configMapRef: ocm-placement}}]`, "exactly one of name and labelSelector"},
		{`generators: [{clusterDecisionResource: {configMapRef: ocm-placement, name: absent}}]`, "no placementdecisions resource absent in namespace team"},
		{`generators: [{clusterDecisionResource: {configMapRef: missing, name: placement}}]`, "read ConfigMap team/missing"},
	} {
		_, err := g.Generate(t.Context(), appSetFromYAML(t, bad.spec+scmTemplate), Options{})
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: got error %v, want %q", bad.spec, err, bad.want)
		}
	}
}
