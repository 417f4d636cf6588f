package git

import (
	"fmt"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// newTestListing is a listing with a default branch and two version tags.
func newTestListing() *refListing {
	hash := func(n byte) plumbing.Hash { var h plumbing.Hash; h[0] = n; return h }
	return &refListing{
		refs: map[string]plumbing.Hash{
			"refs/heads/main":  hash(1),
			"refs/tags/v1.2.0": hash(2),
			"refs/tags/v1.3.0": hash(3),
		},
		peeled:     map[string]plumbing.Hash{},
		head:       hash(1),
		headTarget: "refs/heads/main",
	}
}

// A listing resolves each revision once: as a semver constraint, as a ref
// name, or to nothing; the answer is remembered and the same every time.
func TestListingRemembersResolutions(t *testing.T) {
	l := newTestListing()
	for _, tc := range []struct {
		revision, ref string
		semver, ok    bool
	}{
		{"main", "refs/heads/main", false, true},
		{"HEAD", "refs/heads/main", false, true},
		{">=1.0.0", "refs/tags/v1.3.0", true, true},
		{"v1.2.0", "refs/tags/v1.2.0", false, true},
		{"no-such-branch", "", false, false},
	} {
		first, isFirst := l.match(tc.revision)
		if !isFirst || first.ok != tc.ok || first.semver != tc.semver || first.revision.Ref != tc.ref {
			t.Errorf("match(%q) = %+v, first %v; want ref %q, semver %v, ok %v, first", tc.revision, first, isFirst, tc.ref, tc.semver, tc.ok)
		}
		again, isFirst := l.match(tc.revision)
		if isFirst || again != first {
			t.Errorf("match(%q) again = %+v, first %v; want %+v remembered", tc.revision, again, isFirst, first)
		}
	}
}

// What a listing remembers is bounded: revisions come from Applications'
// specs, which anyone who may create one writes.
func TestListingRemembersBoundedRevisions(t *testing.T) {
	l := newTestListing()
	for i := range maxRememberedRevisions + 100 {
		l.match(fmt.Sprintf("branch-%d", i))
	}
	stored := 0
	l.resolved.Range(func(any, any) bool { stored++; return true })
	if stored != maxRememberedRevisions {
		t.Fatalf("%d revisions remembered, want at most %d", stored, maxRememberedRevisions)
	}
	if match, _ := l.match("main"); !match.ok || match.revision.Ref != "refs/heads/main" {
		t.Fatalf("match(main) past the bound = %+v, want refs/heads/main", match)
	}
}

// BenchmarkResolveInListing resolves a branch in a listing already fetched, as
// every periodic refresh of an Application does: remembered, against the
// reference of matching it against the refs each time.
func BenchmarkResolveInListing(b *testing.B) {
	l := newTestListing()
	for i := range 200 {
		l.refs[fmt.Sprintf("refs/tags/v0.%d.0", i)] = plumbing.Hash{byte(i)}
	}
	var reference float64
	b.Run("matched every time", func(b *testing.B) {
		for range b.N {
			if _, ok := resolveSemver("main", l); ok {
				b.Fatal("main resolved as semver")
			}
			if _, ok := resolveRef("main", l); !ok {
				b.Fatal("main not resolved")
			}
		}
		reference = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("remembered", func(b *testing.B) {
		for range b.N {
			if match, _ := l.match("main"); !match.ok {
				b.Fatal("main not resolved")
			}
		}
		if perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N); reference > 0 && perOp > 0 {
			b.ReportMetric(reference/perOp, "x-faster-than-reference")
		}
	})
}

func TestIsFullSHA(t *testing.T) {
	for s, want := range map[string]bool{
		"30c8752bbb3c49532b857ff4fa628ac7179dadd3":  true,
		"30C8752BBB3C49532B857FF4FA628AC7179DADD3":  true,
		"30c8752bbb3c49532b857ff4fa628ac7179dadd":   false, // 39
		"30c8752bbb3c49532b857ff4fa628ac7179dadd3a": false, // 41
		"30c8752bbb3c49532b857ff4fa628ac7179daddg":  false,
		"main": false, "": false,
	} {
		if got := isFullSHA(s); got != want {
			t.Errorf("isFullSHA(%q) = %v, want %v", s, got, want)
		}
	}
}
