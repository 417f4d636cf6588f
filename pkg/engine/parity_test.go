package engine

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"k8s.io/klog/v2"
)

// The socket directories of servers that are gone are removed at start; those
// of running servers, other names and symbolic links are left alone.
func TestRemoveStalePluginDirs(t *testing.T) {
	tmp := t.TempDir()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	deadPID := gone.Process.Pid
	mkdir := func(name string) string {
		dir := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "sub", "plugin.sock"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	stale := mkdir(fmt.Sprintf("%s%d-123", pluginDirPrefix, deadPID))
	own := mkdir(fmt.Sprintf("%s%d-1", pluginDirPrefix, os.Getpid()))
	running := mkdir(fmt.Sprintf("%s%d-2", pluginDirPrefix, os.Getppid()))
	other := mkdir(pluginDirPrefix + "not-a-pid")
	elsewhere := mkdir("elsewhere")
	link := filepath.Join(tmp, fmt.Sprintf("%s%d-link", pluginDirPrefix, deadPID))
	if err := os.Symlink(elsewhere, link); err != nil {
		t.Fatal(err)
	}

	removeStalePluginDirs(klog.Background(), tmp)

	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the directory of process %d, gone, is still there (%v)", deadPID, err)
	}
	for _, dir := range []string{own, running, other, filepath.Join(elsewhere, "sub", "plugin.sock")} {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s was removed: %v", dir, err)
		}
	}
	if _, err := os.Lstat(link); err != nil {
		t.Errorf("the symbolic link %s was removed: %v", link, err)
	}
}
