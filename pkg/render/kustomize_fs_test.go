package render

import (
	"slices"
	"testing"
	"testing/fstest"
)

// Kustomize building one application of a monorepo copies that
// application's directory, not its siblings; a directory above is filled
// when it is looked at itself, and then lists every entry.
func TestRepoFileSystemCopiesOnlyWhatIsLookedAt(t *testing.T) {
	src := fstest.MapFS{
		"README.md":                    {Data: []byte("monorepo\n")},
		"apps/common.yaml":             {Data: []byte("kind: ConfigMap\n")},
		"apps/a/kustomization.yaml":    {Data: []byte("resources: [cm.yaml]\n")},
		"apps/a/cm.yaml":               {Data: []byte("kind: ConfigMap\n")},
		"apps/b/kustomization.yaml":    {Data: []byte("resources: [cm.yaml]\n")},
		"apps/b/nested/deep/cm.yaml":   {Data: []byte("kind: ConfigMap\n")},
		"apps/c/overlay/kustomization": {Data: []byte("resources: [../base]\n")},
	}
	r := newRepoFileSystem(src, false)

	if !r.Exists("/apps/a/kustomization.yaml") || r.Exists("/apps/a/kustomization.yml") {
		t.Fatal("Exists does not tell apps/a's files")
	}
	data, err := r.ReadFile("/apps/a/cm.yaml")
	if err != nil || string(data) != "kind: ConfigMap\n" {
		t.Fatalf("ReadFile apps/a/cm.yaml = %q, %v", data, err)
	}
	if r.mem.Exists("/apps/b") || r.mem.Exists("/apps/common.yaml") || r.mem.Exists("/README.md") {
		t.Error("building apps/a copied its siblings or the files above it")
	}

	// Looked at, a directory above lists everything.
	entries, err := r.ReadDir("/apps")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(entries)
	if want := []string{"a", "b", "c", "common.yaml"}; !slices.Equal(entries, want) {
		t.Errorf("ReadDir /apps = %v, want %v", entries, want)
	}
	if !r.Exists("/README.md") || !r.IsDir("/apps/b/nested") || r.IsDir("/apps/b/kustomization.yaml") {
		t.Error("the root's file or apps/b's entries are missing")
	}
	if data, err := r.ReadFile("/apps/b/nested/deep/cm.yaml"); err != nil || len(data) == 0 {
		t.Errorf("ReadFile of a nested file = %q, %v", data, err)
	}
	if r.Exists("/apps/missing/kustomization.yaml") || r.Exists("/../etc/passwd") {
		t.Error("a path that is not in the repository exists")
	}
	// An edit in memory stays.
	if err := r.WriteFile("/apps/c/overlay/kustomization", []byte("edited\n")); err != nil {
		t.Fatal(err)
	}
	if data, _ := r.ReadFile("/apps/c/overlay/kustomization"); string(data) != "edited\n" {
		t.Errorf("edit lost: %q", data)
	}
}
