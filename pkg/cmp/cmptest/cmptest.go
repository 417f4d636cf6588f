// Package cmptest runs real config management plugin runners for tests.
package cmptest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"capstan.dev/capstan/pkg/cmp"
)

// Serve runs a runner of the ConfigManagementPlugin YAML spec on a Unix
// socket until the test ends, and returns plugins that reach it.
func Serve(t testing.TB, spec string, opts cmp.RunnerOptions) *cmp.Plugins {
	t.Helper()
	plugin, err := cmp.ParsePlugin([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	// Unix socket paths are short: a directory under /tmp, not t.TempDir().
	dir, err := os.MkdirTemp("", "cmp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	socket := filepath.Join(dir, plugin.Name()+".sock")
	go func() { _ = cmp.NewRunner(plugin, opts).Serve(ctx, socket) }()
	plugins := cmp.NewPlugins(dir, 1<<20)
	err = wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		return plugins.Add(ctx, socket) == nil, nil
	})
	if err != nil {
		t.Fatalf("the runner of %s did not start: %v", plugin.Name(), err)
	}
	return plugins
}
