package resourcetree

import (
	"context"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/health"
)

// objects is a Reader over a fixed set of objects; kinds in forbidden
// answer 403.
type objects struct {
	items     []*unstructured.Unstructured
	forbidden map[string]bool
}

func (o objects) List(_ context.Context, gvk schema.GroupVersionKind, namespace string, selector labels.Selector) ([]*unstructured.Unstructured, error) {
	if o.forbidden[gvk.Kind] {
		return nil, apierrors.NewForbidden(schema.GroupResource{Resource: strings.ToLower(gvk.Kind) + "s"}, "", fmt.Errorf("no"))
	}
	var out []*unstructured.Unstructured
	for _, obj := range o.items {
		if obj.GroupVersionKind() == gvk && (namespace == "" || obj.GetNamespace() == namespace) && selector.Matches(labels.Set(obj.GetLabels())) {
			out = append(out, obj)
		}
	}
	return out, nil
}

func object(apiVersion, kind, name, uid string, managed bool, owners ...string) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind}}
	obj.SetNamespace("web")
	obj.SetName(name)
	obj.SetUID(types.UID(uid))
	if managed {
		obj.SetLabels(map[string]string{cluster.InstanceLabel: cluster.InstanceLabelValue("apps", "guestbook")})
	}
	var refs []metav1.OwnerReference
	for _, owner := range owners {
		refs = append(refs, metav1.OwnerReference{UID: types.UID(owner), Name: owner})
	}
	obj.SetOwnerReferences(refs)
	if kind == "Pod" {
		obj.Object["spec"] = map[string]any{"restartPolicy": "Always"}
		obj.Object["status"] = map[string]any{"phase": "Running", "conditions": []any{map[string]any{"type": "Ready", "status": "True"}}}
	}
	return obj
}

func application() *v1alpha1.Application {
	healthy := &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusHealthy}
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "guestbook"},
		Status: v1alpha1.ApplicationStatus{Resources: []v1alpha1.ResourceStatus{
			{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "web", Name: "ui", Status: v1alpha1.SyncStatusCodeSynced, Health: healthy},
			{Version: "v1", Kind: "ConfigMap", Namespace: "web", Name: "settings", Status: v1alpha1.SyncStatusCodeOutOfSync},
			{Group: "batch", Version: "v1", Kind: "CronJob", Namespace: "web", Name: "backup", Status: v1alpha1.SyncStatusCodeSynced},
		}},
	}
}

// render draws the tree as "Kind/name(health)" lines indented by depth.
func render(nodes []*Node, depth int, out *strings.Builder) {
	for _, n := range nodes {
		health := ""
		if n.Health != nil {
			health = string(n.Health.Status)
		}
		fmt.Fprintf(out, "%s%s/%s(%s)\n", strings.Repeat("  ", depth), n.Kind, n.Name, health)
		render(n.Children, depth+1, out)
	}
}

func TestBuildLinksOwnedObjectsBelowTheManagedResources(t *testing.T) {
	reader := objects{items: []*unstructured.Unstructured{
		object("apps/v1", "Deployment", "ui", "d1", true),
		object("apps/v1", "ReplicaSet", "ui-2", "rs2", false, "d1"),
		object("apps/v1", "ReplicaSet", "ui-1", "rs1", false, "d1"),
		object("v1", "Pod", "ui-2-b", "p2", false, "rs2"),
		object("v1", "Pod", "ui-2-a", "p1", false, "rs2"),
		object("batch/v1", "CronJob", "backup", "cj", true),
		object("batch/v1", "Job", "backup-1", "j1", false, "cj"),
		object("v1", "Pod", "backup-1-x", "p3", false, "j1"),
		// Owned by something that is not in the tree, and a loop of owners.
		object("v1", "Pod", "stray", "p4", false, "other"),
		object("v1", "Pod", "loop", "p5", false, "p5"),
		// The same name, but not labelled for this Application: not its object.
		object("v1", "ConfigMap", "settings", "cm", false),
	}}
	checker, err := health.NewChecker(health.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tree, err := Build(context.Background(), application(), reader, Options{Health: checker})
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	render(tree.Nodes, 0, &got)
	want := `Deployment/ui(Healthy)
  ReplicaSet/ui-1(Healthy)
  ReplicaSet/ui-2(Healthy)
    Pod/ui-2-a(Healthy)
    Pod/ui-2-b(Healthy)
ConfigMap/settings()
CronJob/backup()
  Job/backup-1(Progressing)
    Pod/backup-1-x(Healthy)
`
	if got.String() != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got.String(), want)
	}
	if tree.Nodes[1].UID != "" {
		t.Errorf("the ConfigMap of another Application was taken for this one's")
	}
	if len(tree.Warnings) != 0 {
		t.Errorf("warnings %v", tree.Warnings)
	}
}

func TestKindsTheCallerMayNotListAreLeftOutWithAWarning(t *testing.T) {
	reader := objects{
		items: []*unstructured.Unstructured{
			object("apps/v1", "Deployment", "ui", "d1", true),
			object("apps/v1", "ReplicaSet", "ui-1", "rs1", false, "d1"),
		},
		forbidden: map[string]bool{"Pod": true, "CronJob": true},
	}
	tree, err := Build(context.Background(), application(), reader, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Nodes) != 3 || len(tree.Nodes[0].Children) != 1 {
		t.Fatalf("tree %+v", tree.Nodes)
	}
	want := []string{"CronJob in namespace web not shown: you may not list them", "Pod in namespace web not shown: you may not list them"}
	if strings.Join(tree.Warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings %q, want %q", tree.Warnings, want)
	}
}
