package server

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/logs"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/component-base/term"

	"capstan.dev/capstan/pkg/version"
)

// NewCommand returns the capstan-apiserver command.
func NewCommand(ctx context.Context, o *Options) *cobra.Command {
	logOptions := logs.NewOptions()
	cmd := &cobra.Command{
		Use:   "capstan-apiserver",
		Short: "Serve Argo CD's GitOps API (Application, ApplicationSet, AppProject) as capstan.dev/v1alpha1",
		Long: "capstan-apiserver is a Kubernetes aggregated API server for the capstan.dev group. " +
			"It stores Applications, ApplicationSets and AppProjects in etcd (embedded by default) " +
			"and runs the GitOps controllers in process.",
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unexpected arguments: %v", args)
			}
			if o.PrintVersion {
				_, err := fmt.Fprintln(o.StdOut, "capstan-apiserver", version.Version)
				return err
			}
			if err := logsapi.ValidateAndApply(logOptions, nil); err != nil {
				return err
			}
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.SetContext(ctx)

	var fss cliflag.NamedFlagSets
	o.AddFlags(&fss)
	logsapi.AddFlags(logOptions, fss.FlagSet("logging"))
	for _, fs := range fss.FlagSets {
		cmd.Flags().AddFlagSet(fs)
	}
	cols, _, _ := term.TerminalSize(cmd.OutOrStdout())
	cliflag.SetUsageAndHelpFunc(cmd, fss, cols)
	return cmd
}
