package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The embedded etcd's data directory must survive a crash: fsync stays on
// unless the test-only flag says otherwise, and no install or local plane
// turns it off.
func TestTheEmbeddedEtcdFsyncsByDefaultAndNoInstallTurnsItOff(t *testing.T) {
	if NewEmbeddedEtcdOptions().UnsafeNoFsync {
		t.Errorf("the embedded etcd skips fsync by default")
	}
	root := filepath.Join("..", "..", "..")
	for _, dir := range []string{"artifacts", "hack"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, entry os.DirEntry, err error) error {
			if err != nil || entry.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if strings.Contains(string(data), "embedded-etcd-unsafe-no-fsync") {
				t.Errorf("%s turns off the embedded etcd's fsync", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
