package cmp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/klog/v2"
)

// ErrNoPlugin is returned when no plugin has the name, or none discovers
// the source.
var ErrNoPlugin = errors.New("no config management plugin")

// Plugins are the plugin runners a server reaches: sidecars' sockets in a
// directory (looked for again when a plugin is not found), and runners it
// started itself.
type Plugins struct {
	socketDir   string
	maxResponse int64

	mu      sync.Mutex
	runners map[string]*runnerEntry // by plugin name
}

type runnerEntry struct {
	client *Client
	info   *PluginInfo
}

// NewPlugins returns the plugins of the sockets in socketDir (may be empty).
func NewPlugins(socketDir string, maxResponse int64) *Plugins {
	return &Plugins{socketDir: socketDir, maxResponse: maxResponse, runners: map[string]*runnerEntry{}}
}

// Add registers the runner listening at socket.
func (p *Plugins) Add(ctx context.Context, socket string) error {
	client := NewClient(socket, p.maxResponse)
	info, err := client.Info(ctx)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runners[info.Name] = &runnerEntry{client: client, info: info}
	return nil
}

// StartLocal starts a runner subprocess (runnerPath, the capstan-cmp-server
// binary) for every ConfigManagementPlugin file in configDir, each with a
// socket in socketDir, stopped when ctx ends. args are passed to every runner
// (its limits).
func (p *Plugins) StartLocal(ctx context.Context, runnerPath, configDir, socketDir string, args ...string) error {
	files, err := filepath.Glob(filepath.Join(configDir, "*.yaml"))
	if err != nil {
		return err
	}
	for _, file := range files {
		plugin, err := LoadPlugin(file)
		if err != nil {
			return err
		}
		socket := filepath.Join(socketDir, plugin.Name()+".sock")
		cmd := exec.CommandContext(ctx, runnerPath, append([]string{"--config=" + file, "--socket=" + socket}, args...)...)
		// A clean environment: nothing of the server's reaches plugins.
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		endWithParent(cmd)
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start the runner of plugin %s: %w", plugin.Name(), err)
		}
		go func() { _ = cmd.Wait() }()
		err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			return p.Add(ctx, socket) == nil, nil
		})
		if err != nil {
			return fmt.Errorf("the runner of plugin %s did not answer on %s: %w", plugin.Name(), socket, err)
		}
		klog.FromContext(ctx).Info("Started config management plugin runner", "plugin", plugin.Name(), "socket", socket)
	}
	return nil
}

// scan registers the runners of the socket directory not known yet.
func (p *Plugins) scan(ctx context.Context) {
	if p.socketDir == "" {
		return
	}
	sockets, _ := filepath.Glob(filepath.Join(p.socketDir, "*.sock"))
	for _, socket := range sockets {
		p.mu.Lock()
		known := false
		for _, entry := range p.runners {
			known = known || entry.client.socket == socket
		}
		p.mu.Unlock()
		if !known {
			if err := p.Add(ctx, socket); err != nil {
				klog.FromContext(ctx).V(2).Info("Plugin socket does not answer", "socket", socket, "err", err)
			}
		}
	}
}

func (p *Plugins) entries() []*runnerEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*runnerEntry, 0, len(p.runners))
	for _, entry := range p.runners {
		out = append(out, entry)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].info.Name < out[j].info.Name })
	return out
}

// Generate renders a source with the plugin name, or with the first plugin
// (by name) whose discovery rules match the source when name is empty.
func (p *Plugins) Generate(ctx context.Context, tree fs.FS, name string, render RenderRequest) ([]byte, error) {
	entry, err := p.find(ctx, tree, name, render)
	if err != nil {
		return nil, err
	}
	return entry.client.Generate(ctx, tree, render)
}

// Parameters returns the name of the plugin that renders a source (named,
// or discovered as Generate does) and its parameter announcements for it:
// the static ones, merged with what its parameters.dynamic command prints
// when it has one (run by the runner with the same environment and limits
// as generate).
func (p *Plugins) Parameters(ctx context.Context, tree fs.FS, name string, render RenderRequest) (string, []ParameterAnnouncement, error) {
	entry, err := p.find(ctx, tree, name, render)
	if err != nil {
		return "", nil, err
	}
	if !entry.info.DynamicParameters {
		return entry.info.Name, MergeAnnouncements(nil, entry.info.Parameters), nil
	}
	announcements, err := entry.client.Parameters(ctx, tree, render)
	if err != nil {
		return "", nil, err
	}
	return entry.info.Name, announcements, nil
}

func (p *Plugins) find(ctx context.Context, tree fs.FS, name string, render RenderRequest) (*runnerEntry, error) {
	for attempt := 0; attempt < 2; attempt++ {
		if attempt == 1 {
			p.scan(ctx)
		}
		for _, entry := range p.entries() {
			if name != "" {
				if entry.info.Name == name {
					return entry, nil
				}
				continue
			}
			matched, err := discovers(ctx, entry, tree, render)
			if err != nil {
				return nil, err
			}
			if matched {
				return entry, nil
			}
		}
	}
	if name != "" {
		return nil, fmt.Errorf("%w named %q is installed", ErrNoPlugin, name)
	}
	return nil, fmt.Errorf("%w discovers the source at %q", ErrNoPlugin, render.AppPath)
}

// discovers evaluates a plugin's discovery rules: file names and globs here,
// a discovery command in the runner.
func discovers(ctx context.Context, entry *runnerEntry, tree fs.FS, render RenderRequest) (bool, error) {
	d := entry.info.Discover
	if d == nil {
		return false, nil
	}
	appPath := path.Clean(render.AppPath)
	if d.FileName != "" {
		matches, _ := fs.Glob(tree, path.Join(appPath, d.FileName))
		if len(matches) > 0 {
			return true, nil
		}
	}
	if d.Find != nil && d.Find.Glob != "" {
		// As in Argo CD, "**" matches any number of directories.
		if sub, err := fs.Sub(tree, appPath); err == nil {
			matches, _ := doublestar.Glob(sub, strings.TrimPrefix(d.Find.Glob, "./"), doublestar.WithFailOnIOErrors())
			if len(matches) > 0 {
				return true, nil
			}
		}
	}
	if d.Find != nil && len(d.Find.Command) > 0 {
		return entry.client.Match(ctx, tree, render)
	}
	return false, nil
}
