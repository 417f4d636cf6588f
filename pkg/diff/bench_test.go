package diff

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// deepEqualNsPerOp times comparing two objects with equality.Semantic, the
// least any comparison of the whole object costs.
func deepEqualNsPerOp(a, b *unstructured.Unstructured, n int) float64 {
	start := time.Now()
	for range n {
		_ = equality.Semantic.DeepEqual(a.Object, b.Object)
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// BenchmarkDiffUnchangedDeployment compares a target with a live Deployment
// that already matches it, as every refresh does for every managed object.
// "compare" is the full comparison (normalize, owned fields, ignore rules)
// with a dry-run applier that costs nothing; "remembered" is Differ.Modified
// on a pair it has seen, the steady state. Both report the ratio to a plain
// semantic DeepEqual of the same two objects, measured in the same run.
func BenchmarkDiffUnchangedDeployment(b *testing.B) {
	live := object(b, liveDeployment)
	live.SetUID("0b5c6d0e-1234") // as the API server sets it: a string
	target := object(b, liveDeployment)
	applier := &mergeApplier{live: live}
	ctx := context.Background()
	reference := deepEqualNsPerOp(target, live, 2000)

	b.Run("compare", func(b *testing.B) {
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			result, err := Compare(ctx, target, live, applier, nil)
			if err != nil || result.Modified {
				b.Fatalf("unchanged object: modified=%v err=%v", result.Modified, err)
			}
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/reference, "x-deepequal")
	})
	b.Run("remembered", func(b *testing.B) {
		differ := NewDiffer(100)
		if _, err := differ.Modified(ctx, target, live, applier, nil); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			modified, err := differ.Modified(ctx, target, live, applier, nil)
			if err != nil || modified {
				b.Fatalf("unchanged object: modified=%v err=%v", modified, err)
			}
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/reference, "x-deepequal")
	})
}
