package synctest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/compare"
	"capstan.dev/capstan/pkg/diff"
	"capstan.dev/capstan/pkg/health"
	syncengine "capstan.dev/capstan/pkg/sync"
	"capstan.dev/capstan/pkg/target"
	"capstan.dev/capstan/test/fixtures"
	"capstan.dev/capstan/test/localplane"
)

// maxSteps bounds one operation, so a step machine that never ends fails the
// benchmark instead of hanging it.
const maxSteps = 1000

// benchEngine is what the operation processors of one capstan-apiserver
// share: the comparer over the informer cache of the destination. Its
// clients, and those of the plain reference, count their requests and are
// not throttled client-side, as a server with API Priority and Fairness
// allows.
type benchEngine struct {
	counter  *localplane.RequestCounter
	comparer *compare.Comparer
	targets  *appTargets
	// plain is the dynamic client of the reference and of the fixtures.
	plain dynamic.Interface
	// steps counts the steps of the step machine taken so far.
	steps atomic.Int64
}

func newBenchEngine(b *testing.B) *benchEngine {
	b.Helper()
	if config == nil {
		b.Skip("no local control plane: run `make tools` to build its binaries")
	}
	counted := rest.CopyConfig(config)
	counted.QPS = -1
	counter := &localplane.RequestCounter{}
	counter.Wrap(counted)
	clusters, err := cluster.NewClusters(b.Context(), counted, nil)
	if err != nil {
		b.Fatal(err)
	}
	checker, err := health.NewChecker(health.Options{})
	if err != nil {
		b.Fatal(err)
	}
	plain, err := dynamic.NewForConfig(counted)
	if err != nil {
		b.Fatal(err)
	}
	targets := &appTargets{objects: map[string][]*unstructured.Unstructured{}}
	return &benchEngine{
		counter:  counter,
		comparer: &compare.Comparer{Clusters: clusters, Targets: targets, Differ: diff.NewDiffer(100_000), Health: checker},
		targets:  targets,
		plain:    plain,
	}
}

// appTargets renders each benchmark Application's objects.
type appTargets struct {
	mu      sync.Mutex
	objects map[string][]*unstructured.Unstructured
}

func (a *appTargets) set(app *v1alpha1.Application, objects []*unstructured.Unstructured) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.objects[app.Name] = objects
}

func (a *appTargets) Target(_ context.Context, app *v1alpha1.Application, _ target.Options) (*target.Target, error) {
	a.mu.Lock()
	objects := a.objects[app.Name]
	a.mu.Unlock()
	copies := make([]*unstructured.Unstructured, 0, len(objects))
	for _, obj := range objects {
		copies = append(copies, obj.DeepCopy())
	}
	return &target.Target{Revision: "0123456789abcdef0123456789abcdef01234567", Objects: copies}, nil
}

// benchRound is one iteration of a benchmark: Capstan syncs its apps into
// namespace, the reference applies the same objects into plainNamespace. The
// apps share the namespaces, which are slow to delete.
type benchRound struct {
	namespace, plainNamespace string
	apps                      []benchApp
}

// benchApp is one Application of a round and its objects.
type benchApp struct {
	app     *v1alpha1.Application
	objects []*unstructured.Unstructured
}

// newRound makes count Applications of perApp objects spread over waves, and
// the round's two empty namespaces.
func (e *benchEngine) newRound(b *testing.B, count, perApp, waves int) benchRound {
	b.Helper()
	prefix := fmt.Sprintf("bench-%04x", rand.IntN(1<<16))
	round := benchRound{namespace: prefix, plainNamespace: prefix + "-plain"}
	for i := range count {
		app := &v1alpha1.Application{
			ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: fmt.Sprintf("%s-%03d", prefix, i)},
			Spec:       v1alpha1.ApplicationSpec{Destination: v1alpha1.ApplicationDestination{Server: cluster.InClusterServer, Namespace: round.namespace}},
		}
		objects := fixtures.Objects(fmt.Sprintf("app%03d", i), perApp, waves)
		e.targets.set(app, objects)
		round.apps = append(round.apps, benchApp{app: app, objects: objects})
	}
	e.createNamespace(b, round.namespace)
	e.createNamespace(b, round.plainNamespace)
	return round
}

func (e *benchEngine) createNamespace(b *testing.B, name string) {
	b.Helper()
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}}
	if _, err := e.plain.Resource(namespaces).Create(b.Context(), ns, metav1.CreateOptions{}); err != nil {
		b.Fatalf("create namespace %s: %v", name, err)
	}
}

// deleteRound deletes the round's namespaces and waits until they are gone,
// so that the next iteration measures creation on a quiet server.
func (e *benchEngine) deleteRound(b *testing.B, round benchRound) {
	b.Helper()
	names := []string{round.namespace, round.plainNamespace}
	for _, name := range names {
		if err := e.plain.Resource(namespaces).Delete(b.Context(), name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			b.Fatalf("delete namespace %s: %v", name, err)
		}
	}
	for _, name := range names {
		err := wait.PollUntilContextTimeout(b.Context(), 250*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
			_, err := e.plain.Resource(namespaces).Get(ctx, name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		if err != nil {
			b.Fatalf("namespace %s is still there: %v", name, err)
		}
	}
}

// syncApplication runs one sync operation of app to its end as the operation
// processor does (runOperation in pkg/controller/application): compare, plan,
// one step of the step machine, persist the results. It takes the next step
// at once, where the processor waits for a watch event of an object the
// operation waits for: the benchmark measures the work, not the latency of
// the cache.
func (e *benchEngine) syncApplication(ctx context.Context, app *v1alpha1.Application) error {
	operationID := syncengine.OperationID(time.Now())
	var previous v1alpha1.ResourceResults
	for range maxSteps {
		e.steps.Add(1)
		result := e.comparer.Compare(ctx, app, compare.Options{})
		if result.Cluster == nil || result.Target == nil {
			return fmt.Errorf("compare %s: %v", app.Name, result.Conditions)
		}
		mapper := result.Cluster.Cache.RESTMapper()
		live, targets := result.LiveWithHooks(), result.AllTargets()
		liveNamespace, err := result.Cluster.Dynamic.Resource(namespaces).Get(ctx, app.Spec.Destination.Namespace, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get namespace %s: %w", app.Spec.Destination.Namespace, err)
		}
		plan, err := syncengine.NewPlan(syncengine.PlanInput{
			LiveNamespace: liveNamespace,
			AppNamespace:  app.Namespace, AppName: app.Name,
			DestinationNamespace: app.Spec.Destination.Namespace,
			Targets:              targets, Live: live, OutOfSync: result.OutOfSync(),
			Revision: result.Target.Revision, OperationID: operationID,
			IsNamespaced: syncengine.IsNamespacedFunc(mapper),
		})
		if err != nil {
			return fmt.Errorf("plan %s: %w", app.Name, err)
		}
		out, err := syncengine.Sync(ctx, syncengine.StepInput{
			Plan: plan, Previous: previous, Live: live,
			Client: syncengine.NewKubeApplier(result.Cluster.Dynamic, mapper),
			Health: e.comparer.Health,
		})
		if err != nil {
			return fmt.Errorf("sync %s: %w", app.Name, err)
		}
		if previous, err = roundTrip(out.Resources); err != nil {
			return err
		}
		switch {
		case out.Phase == v1alpha1.OperationSucceeded:
			return nil
		case out.Phase.IsCompleted():
			return fmt.Errorf("sync %s: %s: %s", app.Name, out.Phase, out.Message)
		}
	}
	return fmt.Errorf("sync %s: still running after %d steps", app.Name, maxSteps)
}

// applyPlainly is the reference: a tuned client server-side applies the same
// objects, waves one after the other, parallelism at a time within a wave,
// with no dry run, no health and no reads. The objects are not tracked, so
// that the comparer's informers do not pay for the reference's watch events.
func (e *benchEngine) applyPlainly(ctx context.Context, namespace string, objects []*unstructured.Unstructured, parallelism int) error {
	byWave := map[int][]*unstructured.Unstructured{}
	var waves []int
	for _, obj := range objects {
		wave := syncengine.Wave(obj)
		if _, ok := byWave[wave]; !ok {
			waves = append(waves, wave)
		}
		byWave[wave] = append(byWave[wave], obj)
	}
	slices.Sort(waves)
	for _, wave := range waves {
		apply := func(obj *unstructured.Unstructured) error { return e.applyOne(ctx, namespace, obj) }
		if err := inParallel(byWave[wave], parallelism, apply); err != nil {
			return err
		}
	}
	return nil
}

// inParallel calls do for every item, workers at a time, and joins the errors.
func inParallel[T any](items []T, workers int, do func(T) error) error {
	work := make(chan T)
	errs := make(chan error, len(items))
	var group sync.WaitGroup
	for range min(workers, len(items)) {
		group.Go(func() {
			for item := range work {
				errs <- do(item)
			}
		})
	}
	for _, item := range items {
		work <- item
	}
	close(work)
	group.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

func (e *benchEngine) applyOne(ctx context.Context, namespace string, obj *unstructured.Unstructured) error {
	data, err := obj.MarshalJSON()
	if err != nil {
		return err
	}
	resource, err := fixtures.ResourceOf(obj.GetKind())
	if err != nil {
		return err
	}
	force := true
	_, err = e.plain.Resource(resource).Namespace(namespace).Patch(ctx, obj.GetName(), types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: syncengine.FieldManager, Force: &force})
	if err != nil {
		return fmt.Errorf("apply %s %s/%s: %w", obj.GetKind(), namespace, obj.GetName(), err)
	}
	return nil
}
