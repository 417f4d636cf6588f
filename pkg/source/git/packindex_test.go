package git

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-billy/v5/osfs"
)

func TestPackIndexesAreReadWholeAndOtherFilesOpenAsUsual(t *testing.T) {
	dir := t.TempDir()
	index := bytes.Repeat([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}, 1000)
	pack := []byte("PACK data")
	if err := os.MkdirAll(filepath.Join(dir, "objects", "pack"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"objects/pack/pack-1.idx": index, "objects/pack/pack-1.pack": pack} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fs := indexReadingFS{Filesystem: osfs.New(dir)}

	f, err := fs.Open("objects/pack/pack-1.idx")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.(*memoryFile); !ok {
		t.Fatalf("the index opened as %T, want it read into memory", f)
	}
	// Changes after opening do not reach an index already read.
	if err := os.WriteFile(filepath.Join(dir, "objects/pack/pack-1.idx"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, index) {
		t.Fatalf("read %d bytes (%v), want the %d of the index", len(got), err, len(index))
	}
	if n, err := f.ReadAt(got[:4], 8); err != nil || n != 4 || !bytes.Equal(got[:4], index[8:12]) {
		t.Errorf("ReadAt: %d %v %q", n, err, got[:4])
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Errorf("writing to an index read into memory succeeded")
	}
	if err := f.Close(); err != nil {
		t.Error(err)
	}

	other, err := fs.Open("objects/pack/pack-1.pack")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, ok := other.(*memoryFile); ok {
		t.Errorf("a pack was read into memory; only indexes are")
	}
	if data, err := io.ReadAll(other); err != nil || !bytes.Equal(data, pack) {
		t.Errorf("pack read %q, %v", data, err)
	}
	if _, err := fs.Open("objects/pack/missing.idx"); !os.IsNotExist(err) {
		t.Errorf("a missing index: %v, want not exist", err)
	}
}
