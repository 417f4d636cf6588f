package render

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// benchmarkRender measures a cold render (cache disabled) and a cached one of
// req, and reports each against a reference measured in the same run: the
// time to decode the same manifests from YAML, the part of a render no cache
// of text could avoid.
func benchmarkRender(b *testing.B, req Request, golden string) {
	reference := decodeReference(b, golden)
	b.Run("cold", func(b *testing.B) {
		renderer := NewRenderer(Options{CacheBytes: -1})
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			if _, err := renderer.Render(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(start))/float64(b.N)/float64(reference), "x-yaml-decode")
	})
	b.Run("cached", func(b *testing.B) {
		renderer := NewRenderer(Options{})
		if _, err := renderer.Render(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			if _, err := renderer.Render(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(start))/float64(b.N)/float64(reference), "x-yaml-decode")
		if renderer.Stats().ToolRuns != 1 {
			b.Fatalf("cached renders ran the tool: %+v", renderer.Stats())
		}
		// What the cache holds for the result against the heap of the
		// decoded objects it used to hold, measured in the same run.
		b.ReportMetric(float64(renderer.cache.Size())/decodedHeap(b, renderer, req), "held-vs-decoded")
	})
}

// decodedHeap is the heap the decoded objects of one render of req occupy.
func decodedHeap(b *testing.B, renderer *Renderer, req Request) float64 {
	b.Helper()
	const copies = 50
	kept := make([]*Result, 0, copies)
	before := liveHeap()
	for range copies {
		res, err := renderer.Render(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		kept = append(kept, res)
	}
	after := liveHeap()
	runtime.KeepAlive(kept)
	return float64(after-before) / copies
}

func liveHeap() uint64 {
	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return stats.HeapAlloc
}

// decodeReference times decoding a golden file.
func decodeReference(b *testing.B, golden string) time.Duration {
	b.Helper()
	data, err := os.ReadFile("testdata/golden/" + golden + ".yaml")
	if err != nil {
		b.Fatal(err)
	}
	const rounds = 20
	start := time.Now()
	for range rounds {
		if _, err := splitYAML(data, golden); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start) / rounds
}

func BenchmarkRenderHelmChart50Objects(b *testing.B) {
	benchmarkRender(b, chartRequest("guestbook"), "helm-defaults")
}

func BenchmarkRenderKustomizeOverlay(b *testing.B) {
	req := Request{
		Source: v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/repo.git", Path: "kustomize/overlays/staging",
			Kustomize: &v1alpha1.ApplicationSourceKustomize{NamePrefix: "prod-", Images: v1alpha1.KustomizeImages{"nginx:1.27"}}},
		Repo:     os.DirFS("testdata/repo"),
		Revision: testRevision,
		AppName:  "guestbook",
	}
	benchmarkRender(b, req, "kustomize-overlay")
}

// BenchmarkDecodeDocuments decodes the 50 objects of a rendered chart (a YAML
// stream) against parsing every document's JSON as YAML again
// (decodeDocumentsTwice), measured in the same run.
func BenchmarkDecodeDocuments(b *testing.B) {
	data, err := os.ReadFile("testdata/golden/helm-defaults.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var reference time.Duration
	b.Run("parsing twice", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeDocumentsTwice(data); err != nil {
				b.Fatal(err)
			}
		}
		reference = b.Elapsed() / time.Duration(b.N)
	})
	b.Run("once", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeDocuments(data); err != nil {
				b.Fatal(err)
			}
		}
		if reference > 0 {
			b.ReportMetric(float64(b.Elapsed()/time.Duration(b.N))/float64(reference), "x-time-of-parsing-twice")
		}
	})
}
