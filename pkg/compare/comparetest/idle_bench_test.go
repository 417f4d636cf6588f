package comparetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/compare"
	"capstan.dev/capstan/test/fixtures"
	"capstan.dev/capstan/test/localplane"
)

// BenchmarkIdleRefresh re-compares Applications whose objects (ConfigMaps,
// Secrets, Services, ServiceAccounts) are all synced,
// as the refresh controller does on every resync: one op is one
// Application's comparison. CAPSTAN_BENCH_APPS and CAPSTAN_BENCH_OBJECTS
// (default 50 and 10) size it. It reports the heap the caches hold per
// managed object, the requests sent while measuring (there should be none),
// and the ratio to what a polling controller would pay instead: listing the
// same objects from the kube-apiserver, measured in the same run.
func BenchmarkIdleRefresh(b *testing.B) {
	apps, objects := envInt(b, "CAPSTAN_BENCH_APPS", 50), envInt(b, "CAPSTAN_BENCH_OBJECTS", 10)
	b.Run(fmt.Sprintf("apps=%d/objects=%d", apps, objects), func(b *testing.B) {
		benchmarkIdleRefresh(b, apps, objects)
	})
}

func benchmarkIdleRefresh(b *testing.B, appCount, perApp int) {
	if config == nil {
		b.Skip("no local control plane: run `make tools` to build its binaries")
	}
	ctx := b.Context()
	objects := fixtures.Objects("idle", perApp, 1)
	prefix := fmt.Sprintf("idle-%04x", rand.IntN(1<<16))
	newApp := func(name string) *v1alpha1.Application {
		app := newApplication(name)
		deploy(b, app, objects)
		return app
	}
	comparer, counter := newComparer(ctx, b, objects)
	// One Application first, so that what does not grow with managed objects
	// (discovery, informers, clients) is in the heap before it is measured.
	settle(b, comparer, counter, []*v1alpha1.Application{newApp(prefix + "-warm")})
	heapBefore := heapInUse()
	apps := make([]*v1alpha1.Application, 0, appCount)
	for i := range appCount {
		apps = append(apps, newApp(fmt.Sprintf("%s-%03d", prefix, i)))
	}
	settle(b, comparer, counter, apps)
	heapAfter := heapInUse()

	before := counter.Count()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if result := comparer.Compare(ctx, apps[i%len(apps)], compare.Options{}); result.SyncStatus != v1alpha1.SyncStatusCodeSynced {
			b.Fatalf("%s: %s %v", apps[i%len(apps)].Name, result.SyncStatus, result.Conditions)
		}
		i++
	}
	compareNs := float64(b.Elapsed().Nanoseconds()) / float64(i)
	b.ReportMetric(float64(counter.Count()-before)/float64(i), "requests/op")
	// What the refresh controller does instead once a comparison was quiet:
	// resolve the inputs and find them unchanged (see Controller.stillQuiet).
	b.ReportMetric(inputsNsPerApp(b, comparer, apps, i)/compareNs, "inputs-vs-compare")
	b.ReportMetric((float64(heapAfter)-float64(heapBefore))/float64(appCount*perApp), "bytes/managed-object")
	if listNs := listNsPerApp(b, apps, objects, min(i, len(apps))); listNs > 0 {
		b.ReportMetric(listNs, "list-ns/op")
		b.ReportMetric(compareNs/listNs, "ratio-vs-list")
	}
}

// inputsNsPerApp is the time to resolve one Application's comparison
// inputs, averaged over n Applications.
func inputsNsPerApp(b *testing.B, comparer *compare.Comparer, apps []*v1alpha1.Application, n int) float64 {
	b.Helper()
	start := time.Now()
	for i := range n {
		if _, err := comparer.Inputs(b.Context(), apps[i%len(apps)], compare.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// settle compares every Application until all are Synced and a whole round
// sends no request: watches run, discovery and diffs are cached.
func settle(b *testing.B, comparer *compare.Comparer, counter *localplane.RequestCounter, apps []*v1alpha1.Application) {
	b.Helper()
	var last compare.Result
	err := wait.PollUntilContextTimeout(b.Context(), 200*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		before := counter.Count()
		for _, app := range apps {
			if last = comparer.Compare(ctx, app, compare.Options{}); last.SyncStatus != v1alpha1.SyncStatusCodeSynced {
				return false, nil
			}
		}
		return counter.Count() == before, nil
	})
	if err != nil {
		b.Fatalf("the Applications did not settle Synced without requests: last %s %v; last requests %v", last.SyncStatus, last.Conditions, counter.Recent())
	}
}

// listNsPerApp is the reference: the time to list one Application's objects
// from the kube-apiserver, one list per kind in its namespace, averaged over
// n Applications.
func listNsPerApp(b *testing.B, apps []*v1alpha1.Application, objects []*unstructured.Unstructured, n int) float64 {
	b.Helper()
	unthrottled := rest.CopyConfig(config)
	unthrottled.QPS = -1
	client, err := dynamic.NewForConfig(unthrottled)
	if err != nil {
		b.Fatal(err)
	}
	kinds := map[schema.GroupVersionResource]bool{}
	for _, obj := range objects {
		resource, err := resourceOf(obj.GetKind())
		if err != nil {
			b.Fatal(err)
		}
		kinds[resource] = true
	}
	start := time.Now()
	for i := range n {
		app := apps[i%len(apps)]
		listed := 0
		for gvr := range kinds {
			list, err := client.Resource(gvr).Namespace(app.Spec.Destination.Namespace).List(b.Context(), metav1.ListOptions{LabelSelector: cluster.InstanceLabel})
			if err != nil {
				b.Fatal(err)
			}
			listed += len(list.Items)
		}
		if listed != len(objects) {
			b.Fatalf("listed %d objects of %s, want %d", listed, app.Name, len(objects))
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return stats.HeapAlloc
}

func envInt(b *testing.B, name string, fallback int) int {
	b.Helper()
	value := os.Getenv(name)
	if value == "" {
		return fallback
	}
	n, err := strconv.Atoi(value)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, value)
	}
	return n
}
