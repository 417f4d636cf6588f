package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/cmp"
	"capstan.dev/capstan/pkg/luascript"
	"capstan.dev/capstan/pkg/render"
	"capstan.dev/capstan/pkg/settings"
)

// startSettings reads argocd-cm (Lua customizations and system-level ignore
// rules) and the CEL health rules, and keeps them current as they change.
func (e *Engine) startSettings(ctx context.Context) *settings.Settings {
	limits := luascript.DefaultLimits
	if timeout := e.config.Parity.LuaTimeout; timeout > 0 {
		limits.Timeout = timeout
	}
	s := settings.New(settings.Options{
		Namespace:               e.config.RepoNamespace,
		ArgoCDConfigMap:         e.config.IgnoreRulesConfigMap,
		HealthRulesConfigMap:    e.config.HealthRulesConfigMap,
		AssessApplicationHealth: e.config.Parity.AssessApplicationHealth,
		LuaLimits:               limits,
	})
	s.Start(ctx, e.Kube)
	return s
}

// startPlugins connects the config management plugins: sidecars' sockets,
// and runners started as subprocesses for the plugin files of ConfigsDir.
// Nil when neither is configured: plugin sources are then refused.
func (e *Engine) startPlugins(ctx context.Context) (render.PluginRenderer, error) {
	config := e.config.Parity.Plugins
	if config.SocketsDir == "" && config.ConfigsDir == "" {
		return nil, nil
	}
	maxBytes := e.config.Sources.MaxManifestBytes
	if maxBytes <= 0 {
		maxBytes = render.DefaultMaxManifestBytes
	}
	plugins := cmp.NewPlugins(config.SocketsDir, maxBytes)
	if config.ConfigsDir == "" {
		return plugins, nil
	}
	runner := config.Runner
	if runner == "" {
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find the plugin runner: %w", err)
		}
		runner = filepath.Join(filepath.Dir(self), "capstan-cmp-server")
	}
	removeStalePluginDirs(klog.FromContext(ctx), os.TempDir())
	socketDir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", pluginDirPrefix, os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("plugin sockets: %w", err)
	}
	go func() {
		<-ctx.Done()
		_ = os.RemoveAll(socketDir)
	}()
	limits := cmp.DefaultRunnerOptions
	if config.Timeout > 0 {
		limits.Timeout = config.Timeout
	}
	if config.MaxConcurrent > 0 {
		limits.MaxConcurrent = config.MaxConcurrent
	}
	err = plugins.StartLocal(ctx, runner, config.ConfigsDir, socketDir,
		"--timeout="+limits.Timeout.String(),
		fmt.Sprintf("--max-output-bytes=%d", maxBytes),
		fmt.Sprintf("--max-concurrent=%d", limits.MaxConcurrent))
	if err != nil {
		return nil, fmt.Errorf("plugin files of %s: %w", config.ConfigsDir, err)
	}
	return plugins, nil
}

// pluginDirPrefix names the directories of the plugin runners' sockets:
// <prefix><pid>-<random>, in the system's temporary directory (a short path:
// a socket's path is at most 108 bytes).
const pluginDirPrefix = "capstan-plugins-"

// removeStalePluginDirs removes the socket directories of servers that are
// gone without removing theirs (killed): the directories this user owns whose
// process no longer exists. Those of running servers stay.
func removeStalePluginDirs(logger klog.Logger, tmp string) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, pluginDirPrefix+"*"))
	for _, dir := range dirs {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(dir), pluginDirPrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		info, err := os.Lstat(dir)
		if err != nil || !info.IsDir() {
			continue
		}
		if stat, ok := info.Sys().(*syscall.Stat_t); !ok || int(stat.Uid) != os.Getuid() {
			continue
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			continue // running (or not ours to signal): its directory
		}
		if err := os.RemoveAll(dir); err != nil {
			logger.V(2).Info("Cannot remove a stale plugin socket directory", "dir", dir, "err", err)
		}
	}
}
