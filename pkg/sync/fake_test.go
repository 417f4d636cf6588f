package sync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

// fakeCluster is an in-memory Applier. Jobs finish on tick (Failed when
// annotated test/fail), Deployments become available on tick, objects with
// finalizers linger with a deletionTimestamp.
type fakeCluster struct {
	mu      sync.Mutex
	objects map[cluster.ResourceKey]*unstructured.Unstructured
	// calls records every change: "apply Kind/name", "dry-run Kind/name", "delete Kind/name".
	calls []string
	// created counts real creations per object name.
	created map[string]int
	// reject makes (dry-run or real) applies of a name fail.
	reject       map[string]error
	rejectDryRun map[string]error
	// deletions records the propagation of each delete.
	deletions map[string]metav1.DeletionPropagation
	serial    int
	// gets counts Get calls: requests a step sends to read objects.
	gets int
}

func newFakeCluster() *fakeCluster {
	return &fakeCluster{
		objects:      map[cluster.ResourceKey]*unstructured.Unstructured{},
		created:      map[string]int{},
		reject:       map[string]error{},
		rejectDryRun: map[string]error{},
		deletions:    map[string]metav1.DeletionPropagation{},
	}
}

func (f *fakeCluster) record(call string) { f.calls = append(f.calls, call) }

func (f *fakeCluster) Apply(_ context.Context, obj *unstructured.Unstructured, opts ApplyOptions) (Applied, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := obj.GetKind() + "/" + obj.GetName()
	key := cluster.KeyOf(obj)
	if opts.DryRun {
		f.record("dry-run " + name)
		if err := f.rejectDryRun[obj.GetName()]; err != nil {
			return Applied{}, err
		}
		if opts.CreateOnly && f.objects[key] != nil {
			return Applied{}, apierrors.NewAlreadyExists(schema.GroupResource{Resource: obj.GetKind()}, obj.GetName())
		}
		return Applied{Object: obj.DeepCopy(), Verb: VerbSSA}, nil
	}
	f.record("apply " + name)
	if err := f.reject[obj.GetName()]; err != nil {
		return Applied{}, err
	}
	existing := f.objects[key]
	stored := obj.DeepCopy()
	if existing != nil {
		stored.SetUID(existing.GetUID())
		stored.SetCreationTimestamp(existing.GetCreationTimestamp())
		stored.SetGeneration(existing.GetGeneration() + 1)
		if status, ok := existing.Object["status"]; ok {
			stored.Object["status"] = status
		}
	} else {
		f.serial++
		f.created[obj.GetName()]++
		stored.SetUID(types.UID(fmt.Sprintf("uid-%d", f.serial)))
		stored.SetGeneration(1)
	}
	f.serial++
	stored.SetResourceVersion(fmt.Sprint(f.serial))
	f.objects[key] = stored
	return Applied{Object: stored.DeepCopy(), Verb: VerbSSA}, nil
}

func (f *fakeCluster) Delete(_ context.Context, key cluster.ResourceKey, opts DeleteOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("delete " + key.Kind + "/" + key.Name)
	f.deletions[key.Name] = opts.Propagation
	obj := f.objects[key]
	if obj == nil || opts.UID != "" && obj.GetUID() != opts.UID {
		return apierrors.NewNotFound(schema.GroupResource{Resource: key.Kind}, key.Name)
	}
	if len(obj.GetFinalizers()) > 0 {
		now := metav1.Now()
		obj.SetDeletionTimestamp(&now)
		return nil
	}
	delete(f.objects, key)
	return nil
}

func (f *fakeCluster) Get(_ context.Context, key cluster.ResourceKey) (*unstructured.Unstructured, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	obj := f.objects[key]
	if obj == nil {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: key.Kind}, key.Name)
	}
	return obj.DeepCopy(), nil
}

func (f *fakeCluster) RemoveFinalizer(_ context.Context, key cluster.ResourceKey, finalizer string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	obj := f.objects[key]
	if obj == nil {
		return nil
	}
	obj.SetFinalizers(slices.DeleteFunc(obj.GetFinalizers(), func(f string) bool { return f == finalizer }))
	if obj.GetDeletionTimestamp() != nil && len(obj.GetFinalizers()) == 0 {
		delete(f.objects, key)
	}
	return nil
}

// put stores an object as if it existed before the sync.
func (f *fakeCluster) put(obj *unstructured.Unstructured) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.serial++
	obj = obj.DeepCopy()
	obj.SetUID(types.UID(fmt.Sprintf("uid-%d", f.serial)))
	f.objects[cluster.KeyOf(obj)] = obj
}

// tick lets the simulated controllers run: Jobs finish, Deployments roll out.
func (f *fakeCluster) tick() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, obj := range f.objects {
		switch obj.GetKind() {
		case "Job":
			if _, done, _ := unstructured.NestedSlice(obj.Object, "status", "conditions"); done {
				continue
			}
			condition := map[string]any{"type": "Complete", "status": "True", "message": "done"}
			if obj.GetAnnotations()["test/fail"] == "true" {
				condition = map[string]any{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}
			}
			_ = unstructured.SetNestedSlice(obj.Object, []any{condition}, "status", "conditions")
		case "Deployment":
			replicas := int64(1)
			_ = unstructured.SetNestedMap(obj.Object, map[string]any{
				"observedGeneration": obj.GetGeneration(), "replicas": replicas, "updatedReplicas": replicas,
				"readyReplicas": replicas, "availableReplicas": replicas,
			}, "status")
		}
	}
}

// live returns copies of the objects, as the controller's cache would.
func (f *fakeCluster) live() map[cluster.ResourceKey]*unstructured.Unstructured {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[cluster.ResourceKey]*unstructured.Unstructured, len(f.objects))
	for key, obj := range f.objects {
		out[key] = obj.DeepCopy()
	}
	return out
}

func (f *fakeCluster) applied() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, call := range f.calls {
		if !strings.HasPrefix(call, "dry-run ") {
			out = append(out, call)
		}
	}
	return out
}

// object builds an unstructured object: annotations are name=value pairs.
func object(apiVersion, kind, namespace, name string, annotations ...string) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: map[string]any{}}
	obj.SetAPIVersion(apiVersion)
	obj.SetKind(kind)
	obj.SetNamespace(namespace)
	obj.SetName(name)
	if len(annotations) > 0 {
		values := map[string]string{}
		for i := 0; i+1 < len(annotations); i += 2 {
			values[annotations[i]] = annotations[i+1]
		}
		obj.SetAnnotations(values)
	}
	return obj
}

func configMap(name string, annotations ...string) *unstructured.Unstructured {
	return object("v1", "ConfigMap", "default", name, annotations...)
}

func job(name string, annotations ...string) *unstructured.Unstructured {
	return object("batch/v1", "Job", "default", name, annotations...)
}

func deployment(name string, annotations ...string) *unstructured.Unstructured {
	obj := object("apps/v1", "Deployment", "default", name, annotations...)
	_ = unstructured.SetNestedField(obj.Object, int64(1), "spec", "replicas")
	return obj
}

var clusterScoped = map[string]bool{
	"Namespace": true, "CustomResourceDefinition": true, "ClusterRole": true, "ClusterRoleList": true,
	"ClusterRoleBinding": true, "ClusterRoleBindingList": true, "PersistentVolume": true,
	"StorageClass": true, "IngressClass": true, "APIService": true, "PodSecurityPolicy": true,
}

// fakeScopes answers IsNamespaced; kinds in missing are not served.
func fakeScopes(missing ...string) func(schema.GroupVersionKind) (bool, error) {
	return func(gvk schema.GroupVersionKind) (bool, error) {
		if slices.Contains(missing, gvk.Kind) {
			return false, &meta.NoKindMatchError{GroupKind: gvk.GroupKind(), SearchedVersions: []string{gvk.Version}}
		}
		return !clusterScoped[gvk.Kind], nil
	}
}

// mustPlan plans with fake scopes and defaults that tests rarely change.
func mustPlan(t testing.TB, in PlanInput) *Plan {
	t.Helper()
	if in.IsNamespaced == nil {
		in.IsNamespaced = fakeScopes()
	}
	if in.DestinationNamespace == "" {
		in.DestinationNamespace = "default"
	}
	if in.OperationID == "" {
		in.OperationID = "1700000000"
	}
	plan, err := NewPlan(in)
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	return plan
}

// order lists tasks as "Phase/wave Kind/name" (prunes prefixed "prune ").
func order(tasks []*Task) []string {
	var out []string
	for _, task := range tasks {
		prefix := ""
		if task.Prune {
			prefix = "prune "
		}
		out = append(out, fmt.Sprintf("%s%s/%d %s/%s", prefix, task.Phase, task.Wave, task.key.Kind, task.key.Name))
	}
	return out
}

// result finds the result of an object by name (and phase when given).
func result(results v1alpha1.ResourceResults, name string, phase ...v1alpha1.SyncPhase) *v1alpha1.ResourceResult {
	for _, r := range results {
		if r.Name == name && (len(phase) == 0 || r.SyncPhase == phase[0]) {
			return r
		}
	}
	return nil
}
