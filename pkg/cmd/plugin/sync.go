package plugin

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/printers"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	capstanv1alpha1 "capstan.dev/capstan/pkg/generated/clientset/versioned/typed/capstan/v1alpha1"
)

// operationFlags say whether and how long to follow an operation.
type operationFlags struct {
	async   bool
	timeout time.Duration
}

func (f *operationFlags) addFlags(cmd *cobra.Command, what string) {
	cmd.Flags().BoolVar(&f.async, "async", false, "Do not wait for the "+what+" to end.")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 0, "Give up waiting after this long (exit code 1); 0 waits until the "+what+" ends.")
}

func newSyncCommand(c *clients) *cobra.Command {
	var flags SyncFlags
	var follow operationFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "sync NAME... [--revision REV] [--prune] [--dry-run] [--resource GROUP:KIND:NAME] [--async] [--timeout D]",
		Short: "Sync Applications and follow the operations until they end",
		Long: "sync requests a sync of each Application NAME through the applications/NAME/sync subresource (which needs " +
			"the right to create applications/sync), then follows each operation, printing its phase as it changes and the " +
			"result of every resource when it ends. The exit code is 0 when every operation Succeeded, 1 otherwise. " +
			"--dry-run runs the operation without changing the cluster, as argocd app sync --dry-run does.",
		Example: "  kubectl capstan sync guestbook\n" +
			"  kubectl capstan sync guestbook --revision v1.2.0 --prune --timeout 5m\n" +
			"  kubectl capstan sync guestbook --resource apps:Deployment:guestbook-ui --async",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: c.completeApplicationNames,
		RunE: func(cmd *cobra.Command, names []string) error {
			apps, _, err := c.applications()
			if err != nil {
				return err
			}
			return followOperations(cmd.Context(), c.streams.Out, apps, names, follow, func(ctx context.Context, name string) (string, error) {
				request, err := flags.Request(name)
				if err != nil {
					return "", err
				}
				request.Spec.DryRun = dryRun
				accepted, err := apps.Sync(ctx, name, request, metav1.CreateOptions{})
				if err != nil {
					return "", err
				}
				revision := request.Spec.Revision
				if accepted.Status.Operation != nil && accepted.Status.Operation.Sync != nil && accepted.Status.Operation.Sync.Revision != "" {
					revision = accepted.Status.Operation.Sync.Revision
				}
				if revision == "" {
					return "sync requested", nil
				}
				return "sync to " + revision + " requested", nil
			})
		},
	}
	flags.AddFlags(cmd.Flags())
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "Run the sync without changing the cluster (the operation's dryRun).")
	follow.addFlags(cmd, "operation")
	return cmd
}

// followOperations starts an operation on each Application with start
// (which returns what it requested) and, unless async, follows each until
// it ends: the exit code is 1 when one did not succeed.
func followOperations(ctx context.Context, out io.Writer, apps capstanv1alpha1.ApplicationInterface, names []string,
	follow operationFlags, start func(context.Context, string) (string, error)) error {
	before := map[string]*v1alpha1.Application{}
	for _, name := range names {
		app, err := apps.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		before[name] = app
		requested, err := start(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s %s\n", qualified(name), requested)
	}
	if follow.async {
		return nil
	}
	failed := 0
	for _, name := range names {
		app, err := followOperation(ctx, out, apps, name, before[name], follow.timeout)
		if err != nil {
			return &ExitError{Code: 1, Err: err}
		}
		if err := printSyncResult(out, app); err != nil {
			return err
		}
		if app.Status.OperationState.Phase != v1alpha1.OperationSucceeded {
			failed++
		}
	}
	if failed > 0 {
		return &ExitError{Code: 1, Err: fmt.Errorf("%d of %d operations did not succeed", failed, len(names))}
	}
	return nil
}

// followOperation prints the phase of the operation that starts after
// before each time it or its message changes, until it ends.
func followOperation(ctx context.Context, out io.Writer, apps capstanv1alpha1.ApplicationInterface, name string,
	before *v1alpha1.Application, timeout time.Duration) (*v1alpha1.Application, error) {
	done := operationDone(before)
	last := ""
	return watchApplication(ctx, apps, name, timeout, func(app *v1alpha1.Application) (bool, error) {
		if state := app.Status.OperationState; state != nil && newerOperation(before, app) {
			line := fmt.Sprintf("%s %s", state.Phase, oneLine(state.Message))
			if line != last {
				fmt.Fprintf(out, "%s %s\n", qualified(name), strings.TrimSpace(line))
				last = line
			}
		}
		return done(app), nil
	})
}

// printSyncResult writes the resources of the operation's result.
func printSyncResult(out io.Writer, app *v1alpha1.Application) error {
	state := app.Status.OperationState
	if state == nil || state.SyncResult == nil || len(state.SyncResult.Resources) == 0 {
		return nil
	}
	w := printers.GetNewTabWriter(out)
	fmt.Fprintln(w, "\nKIND\tNAMESPACE\tNAME\tSTATUS\tHOOK\tMESSAGE")
	for _, result := range state.SyncResult.Resources {
		kind := result.Kind
		if result.Group != "" {
			kind += "." + result.Group
		}
		status := string(result.Status)
		if result.HookType != "" {
			status = string(result.HookPhase)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", kind, result.Namespace, result.Name, status, result.HookType, oneLine(result.Message))
	}
	return w.Flush()
}
