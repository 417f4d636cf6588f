package synctest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	syncengine "capstan.dev/capstan/pkg/sync"
)

var (
	configMaps  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	namespaces  = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	jobs        = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}
	deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	crds        = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// env is one test's Application: its own namespace, app name and clients,
// as the operation processor of a freshly started process would have them.
type env struct {
	namespace, app string
	client         dynamic.Interface
	mapper         meta.ResettableRESTMapper
	// watched are the resources whose managed objects make up the live state.
	watched []schema.GroupVersionResource
}

func newEnv(t *testing.T) *env {
	t.Helper()
	suffix := fmt.Sprintf("%04x", rand.IntN(1<<16))
	name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	e := connect(t)
	e.namespace = name + "-" + suffix
	e.app = "app-" + suffix
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(e.namespace)
	if _, err := e.client.Resource(namespaces).Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() { e.deleteNamespace(e.namespace) })
	return e
}

// connect makes new clients and a new RESTMapper, as after a restart.
func connect(t *testing.T) *env {
	t.Helper()
	client, err := dynamic.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	disco, err := discovery.NewDiscoveryClientForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	return &env{
		client:  client,
		mapper:  restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco)),
		watched: []schema.GroupVersionResource{configMaps, jobs, deployments},
	}
}

func (e *env) deleteNamespace(name string) {
	background := metav1.DeletePropagationBackground
	_ = e.client.Resource(namespaces).Delete(context.Background(), name, metav1.DeleteOptions{PropagationPolicy: &background})
}

// live lists the Application's managed objects, as the controller's cache holds them.
func (e *env) live(t *testing.T) map[cluster.ResourceKey]*unstructured.Unstructured {
	t.Helper()
	instance := cluster.AppInstance(e.namespace, e.app)
	selector := cluster.InstanceLabel + "=" + cluster.InstanceLabelValue(e.namespace, e.app)
	out := map[cluster.ResourceKey]*unstructured.Unstructured{}
	for _, gvr := range e.watched {
		list, err := e.client.Resource(gvr).List(context.Background(), metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			t.Fatalf("list %s: %v", gvr.Resource, err)
		}
		for i := range list.Items {
			obj := &list.Items[i]
			if tracking, ok := cluster.TrackingOf(obj); ok && tracking.AppInstance == instance {
				out[tracking.Key] = obj
			}
		}
	}
	return out
}

// get reads an object of the test's namespace; nil when it does not exist.
func (e *env) get(t *testing.T, gvr schema.GroupVersionResource, name string) *unstructured.Unstructured {
	t.Helper()
	var client dynamic.ResourceInterface = e.client.Resource(gvr).Namespace(e.namespace)
	if gvr == namespaces || gvr == crds {
		client = e.client.Resource(gvr)
	}
	obj, err := client.Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("get %s %s: %v", gvr.Resource, name, err)
	}
	return obj
}

// create makes an object managed by the Application exist before the sync.
func (e *env) create(t *testing.T, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	obj = obj.DeepCopy()
	obj.SetNamespace(e.namespace)
	cluster.SetTracking(obj, e.namespace, e.app)
	created, err := e.client.Resource(gvr).Namespace(e.namespace).Create(context.Background(), obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create %s: %v", obj.GetName(), err)
	}
	return created
}

// operation is one sync operation driven step by step, as the operation
// processor drives it: plan and live state afresh before every step, the
// results persisted in between.
type operation struct {
	env      *env
	in       syncengine.PlanInput
	applier  syncengine.Applier
	previous v1alpha1.ResourceResults
	steps    []syncengine.StepOutput
	// observe, when set, runs after every step.
	observe func(syncengine.StepOutput)
	// validator, when set, checks objects that do not exist yet on the
	// client, as the controller does; nil dry-runs them on the server.
	validator syncengine.Validator
}

func (e *env) operation(targets []*unstructured.Unstructured, op v1alpha1.SyncOperation, appOptions ...string) *operation {
	return &operation{
		env:     e,
		applier: syncengine.NewKubeApplier(e.client, e.mapper),
		in: syncengine.PlanInput{
			AppNamespace: e.namespace, AppName: e.app, DestinationNamespace: e.namespace,
			Operation: op, AppSyncOptions: appOptions, Targets: targets,
			Revision: "0123456789abcdef", OperationID: syncengine.OperationID(time.Now()),
			IsNamespaced: syncengine.IsNamespacedFunc(e.mapper),
		},
	}
}

func (o *operation) step(t *testing.T) syncengine.StepOutput {
	t.Helper()
	in := o.in
	in.Live = o.env.live(t)
	if ns, err := o.env.client.Resource(namespaces).Get(context.Background(), in.DestinationNamespace, metav1.GetOptions{}); err == nil {
		in.LiveNamespace = ns
	}
	plan, err := syncengine.NewPlan(in)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	out, err := syncengine.Sync(context.Background(), syncengine.StepInput{
		Plan: plan, Previous: o.previous, Live: in.Live, Client: o.applier, Validator: o.validator,
	})
	if err != nil {
		t.Fatalf("step: %v", err)
	}
	o.previous = persist(t, out.Resources)
	o.steps = append(o.steps, out)
	if o.observe != nil {
		o.observe(out)
	}
	return out
}

// finish steps until the operation ends, polling with a deadline.
func (o *operation) finish(t *testing.T) syncengine.StepOutput {
	t.Helper()
	return o.until(t, func(out syncengine.StepOutput) bool { return out.Phase.IsCompleted() })
}

// until steps until done says so, polling with a deadline.
func (o *operation) until(t *testing.T, done func(syncengine.StepOutput) bool) syncengine.StepOutput {
	t.Helper()
	var out syncengine.StepOutput
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 2*time.Minute, true, func(context.Context) (bool, error) {
		out = o.step(t)
		return done(out) || out.Phase.IsCompleted(), nil
	})
	if err != nil {
		t.Fatalf("the operation did not get there: last step %s %q", out.Phase, out.Message)
	}
	return out
}

// persist round-trips results through JSON, as storing them in operationState does.
func persist(t *testing.T, results v1alpha1.ResourceResults) v1alpha1.ResourceResults {
	t.Helper()
	out, err := roundTrip(results)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// roundTrip is persist for callers that cannot fail a test (other goroutines).
func roundTrip(results v1alpha1.ResourceResults) (v1alpha1.ResourceResults, error) {
	data, err := json.Marshal(results)
	if err != nil {
		return nil, fmt.Errorf("persist the results: %w", err)
	}
	var out v1alpha1.ResourceResults
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("read the persisted results: %w", err)
	}
	return out, nil
}

func wantPhase(t *testing.T, out syncengine.StepOutput, phase v1alpha1.OperationPhase, message string) {
	t.Helper()
	if out.Phase != phase || !strings.Contains(out.Message, message) {
		t.Fatalf("phase %s %q, want %s containing %q", out.Phase, out.Message, phase, message)
	}
}

func result(results v1alpha1.ResourceResults, kind, name string) *v1alpha1.ResourceResult {
	for _, r := range results {
		if r.Kind == kind && r.Name == name {
			return r
		}
	}
	return nil
}

func annotations(pairs ...string) map[string]any {
	out := map[string]any{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[pairs[i]] = pairs[i+1]
	}
	return out
}

func metadata(name string, objAnnotations map[string]any) map[string]any {
	out := map[string]any{}
	if name != "" {
		out["name"] = name
	}
	if len(objAnnotations) > 0 {
		out["annotations"] = objAnnotations
	}
	return out
}

func withLabels(metadata, labels map[string]any) map[string]any {
	metadata["labels"] = labels
	return metadata
}

// newJob is a Job whose pod kwok runs; podAnnotations steer kwok.
func newJob(name string, objAnnotations, podAnnotations map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "batch/v1", "kind": "Job",
		"metadata": metadata(name, objAnnotations),
		"spec": map[string]any{
			"backoffLimit": int64(0),
			"template": map[string]any{
				"metadata": metadata("", podAnnotations),
				"spec": map[string]any{
					"restartPolicy": "Never",
					"containers":    []any{map[string]any{"name": "main", "image": "registry.k8s.io/pause:3.10"}},
				},
			},
		},
	}}
}

func newDeployment(name string, objAnnotations, podAnnotations map[string]any) *unstructured.Unstructured {
	labels := map[string]any{"app": name}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": metadata(name, objAnnotations),
		"spec": map[string]any{
			"replicas": int64(1),
			"selector": map[string]any{"matchLabels": labels},
			"template": map[string]any{
				"metadata": withLabels(metadata("", podAnnotations), labels),
				"spec": map[string]any{
					"containers": []any{map[string]any{"name": "main", "image": "registry.k8s.io/pause:3.10"}},
				},
			},
		},
	}}
}

func newConfigMap(name string, objAnnotations map[string]any, data map[string]any) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": metadata(name, objAnnotations),
	}}
	if data != nil {
		obj.Object["data"] = data
	}
	return obj
}
