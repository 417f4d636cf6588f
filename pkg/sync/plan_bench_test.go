package sync

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/cluster"
)

// BenchmarkPlan500Objects plans one Application of 500 objects in 5 waves,
// 10 of them hooks, with 50 live objects to prune, as the operation processor
// does before every step. It reports the ratio to a reference measured in the
// same run: only sorting the same objects by wave, kind and name.
func BenchmarkPlan500Objects(b *testing.B) {
	kinds := []struct{ apiVersion, kind string }{
		{"v1", "ConfigMap"}, {"v1", "Secret"}, {"v1", "Service"}, {"apps/v1", "Deployment"}, {"v1", "ServiceAccount"},
	}
	var targets []*unstructured.Unstructured
	live := map[cluster.ResourceKey]*unstructured.Unstructured{}
	for i := range 500 {
		kind := kinds[i%len(kinds)]
		annotations := []string{AnnotationSyncWave, fmt.Sprint(i % 5)}
		if i%50 == 0 {
			annotations = append(annotations, AnnotationHook, "PreSync")
			kind.apiVersion, kind.kind = "batch/v1", "Job"
		}
		obj := object(kind.apiVersion, kind.kind, "default", fmt.Sprintf("object-%03d", i), annotations...)
		cluster.SetTracking(obj, "apps", "big")
		targets = append(targets, obj)
		if i%2 == 0 {
			live[cluster.KeyOf(obj)] = obj
		}
	}
	for i := range 50 {
		obj := configMap(fmt.Sprintf("stale-%02d", i), AnnotationSyncWave, fmt.Sprint(i%5))
		live[cluster.KeyOf(obj)] = obj
	}
	in := PlanInput{AppNamespace: "apps", AppName: "big", Targets: targets, Live: live, IsNamespaced: fakeScopes(), DestinationNamespace: "default", OperationID: "1"}
	b.ReportAllocs()
	for b.Loop() {
		plan, err := NewPlan(in)
		if err != nil || len(plan.Tasks) != 550 {
			b.Fatalf("plan: %v, %d tasks", err, len(plan.Tasks))
		}
	}
	perPlan := b.Elapsed() / time.Duration(b.N)
	start := time.Now()
	for range b.N {
		sortByWaveKindName(targets)
	}
	if perSort := time.Since(start) / time.Duration(b.N); perSort > 0 {
		b.ReportMetric(float64(perPlan)/float64(perSort), "x-sort-only")
	}
}

// sortByWaveKindName is the reference: the least a planner must do.
func sortByWaveKindName(objs []*unstructured.Unstructured) {
	sorted := slices.Clone(objs)
	slices.SortStableFunc(sorted, func(a, b *unstructured.Unstructured) int {
		if wa, wb := Wave(a), Wave(b); wa != wb {
			return wa - wb
		}
		if ka, kb := kindRank[a.GetKind()], kindRank[b.GetKind()]; ka != kb {
			return ka - kb
		}
		return strings.Compare(a.GetName(), b.GetName())
	})
}
