package plugin

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cascade"
)

func newDeleteCommand(c *clients) *cobra.Command {
	cascadeChoice := cascade.Foreground
	wait := true
	var follow operationFlags
	cmd := &cobra.Command{
		Use:   "delete NAME... [--cascade=foreground|background|orphan] [--wait=false]",
		Short: "Delete Applications, with or without the objects they manage",
		Long: "delete deletes each Application NAME. --cascade says what happens to the objects it manages, through Argo " +
			"CD's resources finalizer: foreground (the default) deletes them first, waiting for each; background deletes them " +
			"without waiting for their dependents; orphan leaves them in the cluster (the finalizer is removed first, as " +
			"argocd app delete --cascade=false). With --wait (the default) it returns once the Application is gone.",
		Example:           "  kubectl capstan delete guestbook\n  kubectl capstan delete guestbook --cascade=orphan",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: c.completeApplicationNames,
		RunE: func(cmd *cobra.Command, names []string) error {
			finalizer, err := cascade.Finalizer(cascadeChoice)
			if err != nil {
				return err
			}
			apps, _, err := c.applications()
			if err != nil {
				return err
			}
			for _, name := range names {
				app, err := apps.Get(cmd.Context(), name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				if patch, changed := cascade.FinalizerPatch(app, finalizer); changed {
					if _, err := apps.Patch(cmd.Context(), name, types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
						return fmt.Errorf("set the finalizers of %s for --cascade=%s: %w", qualified(name), cascadeChoice, err)
					}
				}
				if err := apps.Delete(cmd.Context(), name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					return err
				}
				fmt.Fprintf(c.streams.Out, "%s deleted (cascade %s)\n", qualified(name), cascadeChoice)
			}
			if !wait {
				return nil
			}
			for _, name := range names {
				_, err := watchApplication(cmd.Context(), apps, name, follow.timeout, func(*v1alpha1.Application) (bool, error) { return false, nil })
				if err != nil && !apierrors.IsNotFound(err) && !errors.Is(err, errDeleted) {
					return &ExitError{Code: 1, Err: err}
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cascadeChoice, "cascade", cascadeChoice, `What happens to the managed objects: "foreground", "background" or "orphan".`)
	cmd.Flags().BoolVar(&wait, "wait", wait, "Wait until the Application is gone.")
	cmd.Flags().DurationVar(&follow.timeout, "timeout", 0, "Give up waiting after this long (exit code 1); 0 waits until it is gone.")
	return cmd
}
