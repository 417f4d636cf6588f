package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func newHistoryCommand(c *clients) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:               "history NAME [-o yaml|json]",
		Short:             "List the deployments of an Application (the IDs rollback takes)",
		Example:           "  kubectl capstan history guestbook\n  kubectl capstan rollback guestbook 3",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: c.completeApplicationNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			apps, _, err := c.applications()
			if err != nil {
				return err
			}
			app, err := apps.Get(cmd.Context(), args[0], metav1.GetOptions{})
			if err != nil {
				return err
			}
			return printHistory(c.streams.Out, app.Status.History, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Output format: empty for a table, yaml or json.")
	return cmd
}

// printHistory writes the history as a table (ID, DATE, REVISION, INITIATED
// BY), or as YAML or JSON.
func printHistory(out io.Writer, history []v1alpha1.RevisionHistory, output string) error {
	switch output {
	case "json":
		data, err := json.MarshalIndent(history, "", "    ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, string(data))
		return err
	case "yaml":
		data, err := yaml.Marshal(history)
		if err != nil {
			return err
		}
		_, err = out.Write(data)
		return err
	case "":
	default:
		return fmt.Errorf("--output: %q is not yaml or json", output)
	}
	w := printers.GetNewTabWriter(out)
	fmt.Fprintln(w, "ID\tDATE\tREVISION\tINITIATED BY")
	for _, entry := range history {
		revision := entry.Revision
		if len(entry.Revisions) > 0 {
			revision = strings.Join(entry.Revisions, ",")
		}
		by := entry.InitiatedBy.Username
		if entry.InitiatedBy.Automated {
			by = "automated"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", strconv.FormatInt(entry.ID, 10), entry.DeployedAt.UTC().Format(time.RFC3339), revision, by)
	}
	return w.Flush()
}

func newRollbackCommand(c *clients) *cobra.Command {
	var follow operationFlags
	var prune, dryRun bool
	cmd := &cobra.Command{
		Use:   "rollback NAME ID [--prune] [--dry-run] [--async] [--timeout D]",
		Short: "Sync an Application to the revision and source of a history entry, and follow the operation",
		Long: "rollback syncs the Application NAME to the revision and source that history entry ID deployed (see history), " +
			"through the applications/NAME/rollback subresource, then follows the operation as sync does. Applications with " +
			"automated sync cannot be rolled back (Argo CD's rule): turn it off first.",
		Example:           "  kubectl capstan history guestbook\n  kubectl capstan rollback guestbook 3",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: c.completeApplicationNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil {
				return fmt.Errorf("ID %q: a history entry ID is a number (see kubectl capstan history %s)", args[1], args[0])
			}
			apps, _, err := c.applications()
			if err != nil {
				return err
			}
			request := &v1alpha1.ApplicationRollbackRequest{ObjectMeta: metav1.ObjectMeta{Name: args[0]}, ID: id, Prune: prune, DryRun: dryRun}
			request.SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind("ApplicationRollbackRequest"))
			return followOperations(cmd.Context(), c.streams.Out, apps, args[:1], follow, func(ctx context.Context, name string) (string, error) {
				if _, err := apps.Rollback(ctx, name, request, metav1.CreateOptions{}); err != nil {
					return "", err
				}
				return fmt.Sprintf("rollback to history entry %d requested", id), nil
			})
		},
	}
	cmd.Flags().BoolVar(&prune, "prune", false, "Delete resources that are not in the rolled-back state.")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "Run the rollback without changing the cluster.")
	follow.addFlags(cmd, "operation")
	return cmd
}
