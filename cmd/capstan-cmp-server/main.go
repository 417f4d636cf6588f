// Command capstan-cmp-server runs one Argo CD config management plugin for
// capstan-apiserver: as a sidecar of its pod, or as a subprocess it starts.
// It serves the plugin on a Unix socket.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/cmp"
)

func main() {
	opts := cmp.DefaultRunnerOptions
	config := flag.String("config", "/home/argocd/cmp-server/config/plugin.yaml", "the ConfigManagementPlugin file")
	socket := flag.String("socket", "", "the Unix socket to serve on (default /var/run/capstan/plugins/<plugin name>.sock)")
	install := flag.String("install", "", "copy this binary into the directory and exit (an init container's job)")
	passEnv := flag.String("pass-env", "", "comma-separated variables of this process's environment that the plugin's commands get")
	flag.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "deadline of one render (init and generate)")
	flag.Int64Var(&opts.MaxOutputBytes, "max-output-bytes", opts.MaxOutputBytes, "most bytes generate may print")
	flag.Int64Var(&opts.MaxTreeBytes, "max-tree-bytes", opts.MaxTreeBytes, "largest source tree accepted")
	flag.IntVar(&opts.MaxConcurrent, "max-concurrent", opts.MaxConcurrent, "renders run at once")
	klog.InitFlags(nil)
	flag.Parse()
	if *install != "" {
		if err := installSelf(*install); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *passEnv != "" {
		opts.PassEnv = strings.Split(*passEnv, ",")
	}
	plugin, err := cmp.LoadPlugin(*config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *socket == "" {
		*socket = "/var/run/capstan/plugins/" + plugin.Name() + ".sock"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmp.NewRunner(plugin, opts).Serve(ctx, *socket); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// installSelf copies this executable into dir as capstan-cmp-server.
func installSelf(dir string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(self)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "capstan-cmp-server"), data, 0o755)
}
