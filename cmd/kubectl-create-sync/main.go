// Command kubectl-create-sync is the kubectl plugin behind `kubectl create sync NAME`:
// it POSTs an ApplicationSyncRequest to applications/NAME/sync, as `kubectl create
// token` POSTs serviceaccounts/NAME/token.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cmd/plugin"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	if err := newCommand(streams).Execute(); err != nil {
		os.Exit(1)
	}
}

// syncOptions are the flags of `kubectl create sync`.
type syncOptions struct {
	configFlags *genericclioptions.ConfigFlags
	printFlags  *genericclioptions.PrintFlags
	streams     genericiooptions.IOStreams

	sync   plugin.SyncFlags
	dryRun string
}

func newCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &syncOptions{
		configFlags: genericclioptions.NewConfigFlags(true),
		printFlags:  genericclioptions.NewPrintFlags("sync requested"),
		streams:     streams,
		dryRun:      "none",
	}
	cmd := &cobra.Command{
		Use:   "kubectl create sync NAME [--revision REV] [--prune] [--dry-run=server]",
		Short: "Request a sync of a Capstan Application",
		Long: "Request a sync of the Application NAME: sets its operation through the " +
			"applications/NAME/sync subresource. Fails with a conflict while another operation runs.",
		Example: "  kubectl create sync guestbook\n" +
			"  kubectl create sync guestbook --revision v1.2.0 --prune -n apps\n" +
			"  kubectl create sync guestbook --resource apps:Deployment:guestbook-ui -o yaml",
		Args:          cobra.ExactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: false,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), args[0])
		},
	}
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	flags := cmd.Flags()
	o.configFlags.AddFlags(flags)
	o.printFlags.AddFlags(cmd)
	o.sync.AddFlags(flags)
	flags.StringVar(&o.dryRun, "dry-run", o.dryRun, `Must be "none", "server" or "client". "server" validates the request without setting the operation; "client" prints the request only.`)
	flags.Lookup("dry-run").NoOptDefVal = "server"
	return cmd
}

func (o *syncOptions) run(ctx context.Context, name string) error {
	request, err := o.request(name)
	if err != nil {
		return err
	}
	printer, err := o.printFlags.ToPrinter()
	if err != nil {
		return err
	}
	setKind(request)
	if o.dryRun == "client" {
		return printer.PrintObj(request, o.streams.Out)
	}

	config, err := o.configFlags.ToRESTConfig()
	if err != nil {
		return err
	}
	namespace, _, err := o.configFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return err
	}
	client, err := clientset.NewForConfig(config)
	if err != nil {
		return err
	}
	createOptions := metav1.CreateOptions{}
	if o.dryRun == "server" {
		createOptions.DryRun = []string{metav1.DryRunAll}
	}
	accepted, err := client.CapstanV1alpha1().Applications(namespace).Sync(ctx, name, request, createOptions)
	if err != nil {
		return err
	}
	setKind(accepted)
	return printer.PrintObj(accepted, o.streams.Out)
}

// request builds the ApplicationSyncRequest the flags describe.
func (o *syncOptions) request(name string) (*v1alpha1.ApplicationSyncRequest, error) {
	switch o.dryRun {
	case "none", "server", "client":
	default:
		return nil, fmt.Errorf(`--dry-run: must be "none", "server" or "client", not %q`, o.dryRun)
	}
	return o.sync.Request(name)
}

func setKind(request *v1alpha1.ApplicationSyncRequest) {
	request.SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind("ApplicationSyncRequest"))
}
