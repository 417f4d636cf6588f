package comparetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/compare"
	"capstan.dev/capstan/pkg/diff"
	"capstan.dev/capstan/pkg/health"
	"capstan.dev/capstan/pkg/target"
	"capstan.dev/capstan/test/fixtures"
	"capstan.dev/capstan/test/localplane"
)

// fixedTargets renders the same objects for every Application.
type fixedTargets []*unstructured.Unstructured

func (f fixedTargets) Target(ctx context.Context, app *v1alpha1.Application, opts target.Options) (*target.Target, error) {
	objects := make([]*unstructured.Unstructured, 0, len(f))
	for _, obj := range f {
		objects = append(objects, obj.DeepCopy())
	}
	return &target.Target{Revision: "0123456789abcdef0123456789abcdef01234567", Objects: objects}, nil
}

// Revisions resolves the revision Target renders, as target.Source does.
func (f fixedTargets) Revisions(context.Context, *v1alpha1.Application, target.Options) (string, []string, error) {
	return "0123456789abcdef0123456789abcdef01234567", nil, nil
}

func guestbookObjects() []*unstructured.Unstructured {
	labels := map[string]any{"app": "guestbook"}
	return []*unstructured.Unstructured{
		{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "guestbook-config"},
			"data":     map[string]any{"greeting": "hello"},
		}},
		{Object: map[string]any{
			"apiVersion": "v1", "kind": "Service",
			"metadata": map[string]any{"name": "guestbook"},
			"spec": map[string]any{
				"selector": labels,
				"ports":    []any{map[string]any{"port": int64(80), "targetPort": int64(80)}},
			},
		}},
		{Object: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "guestbook"},
			"spec": map[string]any{
				"replicas": int64(1),
				"selector": map[string]any{"matchLabels": labels},
				"template": map[string]any{
					"metadata": map[string]any{"labels": labels},
					"spec": map[string]any{
						"containers": []any{map[string]any{"name": "main", "image": "registry.k8s.io/pause:3.10"}},
					},
				},
			},
		}},
	}
}

var namespaces = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// resources are the resources of the guestbook's kinds; the other kinds
// deployed are those of test/fixtures.
var resources = map[string]schema.GroupVersionResource{
	"ConfigMap":  {Version: "v1", Resource: "configmaps"},
	"Service":    {Version: "v1", Resource: "services"},
	"Deployment": {Group: "apps", Version: "v1", Resource: "deployments"},
}

// deploy creates a namespace and applies the objects into it as a sync
// leaves them: tracked to app, server-side applied by Capstan's manager.
func deploy(t testing.TB, app *v1alpha1.Application, objects []*unstructured.Unstructured) {
	t.Helper()
	createNamespace(t, app.Spec.Destination.Namespace)
	applyObjects(t, app, objects, true)
}

// createNamespace creates a namespace, deleted when the test ends.
func createNamespace(t testing.TB, name string) {
	t.Helper()
	ctx := context.Background()
	client, err := dynamic.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}}
	if _, err := client.Resource(namespaces).Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.Resource(namespaces).Delete(context.Background(), ns.GetName(), metav1.DeleteOptions{})
	})
}

// applyObjects server-side applies the objects into app's destination
// namespace with Capstan's manager; tracked marks them as app's, otherwise
// they carry no tracking (deployed by someone else, to be adopted).
func applyObjects(t testing.TB, app *v1alpha1.Application, objects []*unstructured.Unstructured, tracked bool) {
	t.Helper()
	ctx := context.Background()
	client, err := dynamic.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objects {
		obj = obj.DeepCopy()
		obj.SetNamespace(app.Spec.Destination.Namespace)
		if tracked {
			cluster.SetTracking(obj, app.Namespace, app.Name)
		}
		data, err := obj.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		resource, err := resourceOf(obj.GetKind())
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.Resource(resource).Namespace(obj.GetNamespace()).Patch(ctx, obj.GetName(),
			types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: compare.FieldManager})
		if err != nil {
			t.Fatalf("apply %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
}

// newApplication is an Application of the in-cluster destination, deploying
// to the namespace of its own name.
func newApplication(name string) *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: name},
		Spec:       v1alpha1.ApplicationSpec{Destination: v1alpha1.ApplicationDestination{Server: cluster.InClusterServer, Namespace: name}},
	}
}

// newComparer builds the comparer of the plane as capstan-apiserver does,
// rendering objects for every Application. Its clients count their requests
// into counter and are not throttled client-side; its informers stop with ctx.
func newComparer(ctx context.Context, tb testing.TB, objects []*unstructured.Unstructured) (comparer *compare.Comparer, counter *localplane.RequestCounter) {
	tb.Helper()
	counter = &localplane.RequestCounter{}
	destination := rest.CopyConfig(config)
	destination.QPS = -1
	counter.Wrap(destination)
	clusters, err := cluster.NewClusters(ctx, destination, nil)
	if err != nil {
		tb.Fatal(err)
	}
	checker, err := health.NewChecker(health.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	comparer = &compare.Comparer{Clusters: clusters, Targets: fixedTargets(objects), Differ: diff.NewDiffer(100_000), Health: checker}
	return comparer, counter
}

func resourceOf(kind string) (schema.GroupVersionResource, error) {
	if resource, ok := resources[kind]; ok {
		return resource, nil
	}
	return fixtures.ResourceOf(kind)
}

func TestReComparingAnUnchangedApplicationIssuesNoRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := newApplication(fmt.Sprintf("guestbook-%04x", rand.IntN(1<<16)))
	objects := guestbookObjects()
	deploy(t, app, objects)
	comparer, counter := newComparer(ctx, t, objects)
	// A project reporting orphans: the destination namespace is watched too,
	// and reading it must cost no request either.
	opts := compare.Options{Project: &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "team"}, Spec: v1alpha1.AppProjectSpec{
		SourceNamespaces:  []string{app.Namespace},
		SourceRepos:       []string{"*"},
		Destinations:      []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}},
		OrphanedResources: &v1alpha1.OrphanedResourcesMonitorSettings{},
	}}}

	// Warm up: watches start, discovery is cached, and the Deployment becomes
	// available; then a comparison must find nothing new to ask.
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		before := counter.Count()
		result := comparer.Compare(ctx, app, opts)
		stable := counter.Count() == before
		return stable && result.SyncStatus == v1alpha1.SyncStatusCodeSynced && result.Health.Status == v1alpha1.HealthStatusHealthy, nil
	})
	if err != nil {
		result := comparer.Compare(ctx, app, opts)
		t.Fatalf("the Application did not settle Synced and Healthy: %s/%s %v; last requests %v",
			result.SyncStatus, result.Health.Status, result.Conditions, counter.Recent())
	}

	if counter.Count() == 0 {
		t.Fatal("no request was counted while warming up: the counter does not see the destination's requests")
	}
	before := counter.Count()
	for i := range 1000 {
		result := comparer.Compare(ctx, app, opts)
		if result.SyncStatus != v1alpha1.SyncStatusCodeSynced || len(result.Conditions) > 0 {
			t.Fatalf("comparison %d: %s with conditions %v", i, result.SyncStatus, result.Conditions)
		}
	}
	if sent := counter.Count() - before; sent != 0 {
		t.Errorf("1000 comparisons of an unchanged Application sent %d requests to the destination; last: %v", sent, counter.Recent())
	}
}

func TestComparingAnApplicationWhoseNamespaceDoesNotExistAsksForNoObject(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := newApplication(fmt.Sprintf("absent-%04x", rand.IntN(1<<16)))
	objects := guestbookObjects()
	comparer, counter := newComparer(ctx, t, objects)

	// Once the namespaces are listed, the targets of a namespace that does not
	// exist are Missing without a GET each (the watches of their kinds and
	// the namespace watch are the only requests).
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		comparer.Compare(ctx, app, compare.Options{Hard: true})
		_, known := mustDestination(t, comparer, app).NamespaceIndex.Exists(app.Spec.Destination.Namespace)
		return known, nil
	})
	if err != nil {
		t.Fatal("the namespaces were never listed")
	}
	before := counter.Count()
	result := comparer.Compare(ctx, app, compare.Options{Hard: true})
	if result.SyncStatus != v1alpha1.SyncStatusCodeOutOfSync || len(result.Resources) != len(objects) {
		t.Fatalf("comparison %s with %d resources and conditions %v, want OutOfSync with every target Missing", result.SyncStatus, len(result.Resources), result.Conditions)
	}
	for _, resource := range result.Resources {
		if resource.Health == nil || resource.Health.Status != v1alpha1.HealthStatusMissing {
			t.Errorf("%s %s is %v, want Missing", resource.Kind, resource.Name, resource.Health)
		}
	}
	if sent := counter.Count() - before; sent != 0 {
		t.Errorf("a hard comparison of %d targets in a namespace that does not exist sent %d requests; last: %v", len(objects), sent, counter.Recent())
	}
}

func mustDestination(t *testing.T, comparer *compare.Comparer, app *v1alpha1.Application) *cluster.Cluster {
	t.Helper()
	destination, err := comparer.Destination(app, nil)
	if err != nil {
		t.Fatal(err)
	}
	return destination
}
