package plugin

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"capstan.dev/capstan/pkg/resourcetree"
)

func newGetCommand(c *clients) *cobra.Command {
	printFlags := genericclioptions.NewPrintFlags("")
	cmd := &cobra.Command{
		Use:   "get NAME [-o wide|yaml|json|name|jsonpath=...]",
		Short: "Show an Application with its resource tree",
		Long: "get shows the Application NAME like argocd app get: its source, destination, sync and health status and " +
			"last operation, then its managed resources with their sync status and health and, below each, the objects " +
			"it owns (ReplicaSets and Pods of a Deployment, Jobs and Pods of a CronJob, ...). Objects are read with your own " +
			"credentials; kinds you may not list are left out with a warning. -o yaml|json prints the Application itself.",
		Example:           "  kubectl capstan get guestbook -n argocd\n  kubectl capstan get guestbook -o wide\n  kubectl capstan get guestbook -o yaml",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: c.completeApplicationNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGet(cmd, c, printFlags, args[0])
		},
	}
	printFlags.AddFlags(cmd)
	return cmd
}

func runGet(cmd *cobra.Command, c *clients, printFlags *genericclioptions.PrintFlags, name string) error {
	apps, _, err := c.applications()
	if err != nil {
		return err
	}
	app, err := apps.Get(cmd.Context(), name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	format := *printFlags.OutputFormat
	if format != "" && format != "wide" {
		return printObject(printFlags, app, c.streams.Out)
	}
	// The tree is the server's (applications/NAME/resourcetree), computed
	// for this user: the dashboard shows the same.
	var tree *resourcetree.Tree
	served, err := apps.GetResourceTree(cmd.Context(), name, metav1.GetOptions{})
	switch {
	case err == nil:
		tree = resourcetree.FromAPI(served)
	case apierrors.IsForbidden(err) || apierrors.IsServiceUnavailable(err):
		tree = resourcetree.FromStatus(app)
		tree.Warnings = append(tree.Warnings, "the objects owned by the managed resources are not shown: "+err.Error())
	default:
		return err
	}
	for _, warning := range tree.Warnings {
		fmt.Fprintf(c.streams.ErrOut, "Warning: %s\n", warning)
	}
	return printApplication(c.streams.Out, app, tree, format == "wide", time.Now())
}
