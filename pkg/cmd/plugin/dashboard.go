package plugin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/dashboard"
)

// dashboardOptions are the flags of `kubectl capstan dashboard`.
type dashboardOptions struct {
	address string
	port    int
	open    bool
}

func newDashboardCommand(c *clients) *cobra.Command {
	o := dashboardOptions{address: "127.0.0.1", port: 8080}
	cmd := &cobra.Command{
		Use:   "dashboard [--address 127.0.0.1] [--port 8080] [--open]",
		Short: "Serve Capstan's web UI on this machine, acting as you",
		Long: "dashboard serves Capstan's web UI on a loopback address (like argocd admin dashboard) and prints its URL. " +
			"Every request it makes is your own Kubernetes request, with your kubeconfig (--context, --as, ... apply): it " +
			"forwards only the paths the UI needs, and refuses requests from other sites. --port 0 picks a free port. " +
			"Stop it with Ctrl-C.",
		Example: "  kubectl capstan dashboard --open\n  kubectl capstan dashboard --port 9090 --context staging",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), c)
		},
	}
	cmd.Flags().StringVar(&o.address, "address", o.address, "The loopback address to listen on (127.0.0.1, ::1 or localhost).")
	cmd.Flags().IntVar(&o.port, "port", o.port, "The port to listen on; 0 picks a free one.")
	cmd.Flags().BoolVar(&o.open, "open", false, "Open the dashboard in the default browser.")
	return cmd
}

// loopback tells whether address is one the dashboard may listen on: it
// acts with the user's credentials, so it must not be reachable from other
// machines.
func loopback(address string) bool {
	if address == "localhost" {
		return true
	}
	ip := net.ParseIP(address)
	return ip != nil && ip.IsLoopback()
}

func (o dashboardOptions) run(ctx context.Context, c *clients) error {
	if !loopback(o.address) {
		return fmt.Errorf("--address %s: the dashboard listens on loopback addresses only, as it acts with your credentials", o.address)
	}
	if o.port < 0 || o.port > 65535 {
		return fmt.Errorf("--port %d: must be between 0 and 65535", o.port)
	}
	config, err := c.restConfig()
	if err != nil {
		return err
	}
	namespace, err := c.namespace()
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", net.JoinHostPort(o.address, strconv.Itoa(o.port)))
	if err != nil {
		return fmt.Errorf("listen on %s port %d: %w", o.address, o.port, err)
	}
	port := strconv.Itoa(listener.Addr().(*net.TCPAddr).Port)
	hosts := []string{net.JoinHostPort(o.address, port), net.JoinHostPort("localhost", port)}
	server, err := dashboard.New(dashboard.Options{Config: config, Hosts: hosts, Namespace: namespace})
	if err != nil {
		listener.Close()
		return err
	}
	url := "http://" + hosts[0] + "/"
	fmt.Fprintf(c.streams.Out, "Capstan dashboard: %s (Ctrl-C stops it)\n", url)
	if o.open {
		if err := openBrowser(url); err != nil {
			fmt.Fprintf(c.streams.ErrOut, "Warning: could not open a browser: %v\n", err)
		}
	}
	httpServer := &http.Server{Handler: server, ReadHeaderTimeout: 10 * time.Second}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := httpServer.Shutdown(shutdown); err != nil {
			klog.FromContext(ctx).Error(err, "Dashboard shutdown")
		}
	}()
	if err := httpServer.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve the dashboard: %w", err)
	}
	return nil
}

// openBrowser opens url with the platform's opener.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	return cmd.Start()
}
