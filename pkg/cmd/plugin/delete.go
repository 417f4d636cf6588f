package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// The resources finalizers of Argo CD: the Application's objects are
// deleted before it, in the foreground or in the background.
const (
	resourcesFinalizer           = "resources-finalizer.argocd.argoproj.io"
	resourcesFinalizerForeground = resourcesFinalizer + "/foreground"
	resourcesFinalizerBackground = resourcesFinalizer + "/background"
)

func newDeleteCommand(c *clients) *cobra.Command {
	cascade := "foreground"
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
			finalizer, err := cascadeFinalizer(cascade)
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
				if patch, changed := finalizerPatch(app, finalizer); changed {
					if _, err := apps.Patch(cmd.Context(), name, types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
						return fmt.Errorf("set the finalizers of %s for --cascade=%s: %w", qualified(name), cascade, err)
					}
				}
				if err := apps.Delete(cmd.Context(), name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					return err
				}
				fmt.Fprintf(c.streams.Out, "%s deleted (cascade %s)\n", qualified(name), cascade)
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
	cmd.Flags().StringVar(&cascade, "cascade", cascade, `What happens to the managed objects: "foreground", "background" or "orphan".`)
	cmd.Flags().BoolVar(&wait, "wait", wait, "Wait until the Application is gone.")
	cmd.Flags().DurationVar(&follow.timeout, "timeout", 0, "Give up waiting after this long (exit code 1); 0 waits until it is gone.")
	return cmd
}

// cascadeFinalizer is the resources finalizer for a --cascade value; empty
// for orphan.
func cascadeFinalizer(cascade string) (string, error) {
	switch cascade {
	case "foreground":
		return resourcesFinalizer, nil
	case "background":
		return resourcesFinalizerBackground, nil
	case "orphan":
		return "", nil
	}
	return "", fmt.Errorf(`--cascade: must be "foreground", "background" or "orphan", not %q`, cascade)
}

// finalizerPatch replaces the Application's resources finalizers with want
// (none for orphan), tested against the finalizers read so that a
// concurrent change is not overwritten; changed is false when they are
// already right.
func finalizerPatch(app *v1alpha1.Application, want string) ([]byte, bool) {
	var kept []string
	has := false
	for _, finalizer := range app.Finalizers {
		switch finalizer {
		case want:
			has = true
			kept = append(kept, finalizer)
		case resourcesFinalizer, resourcesFinalizerForeground, resourcesFinalizerBackground:
		default:
			kept = append(kept, finalizer)
		}
	}
	if want != "" && !has {
		kept = append(kept, want)
	}
	if slices.Equal(kept, app.Finalizers) {
		return nil, false
	}
	if kept == nil {
		kept = []string{}
	}
	patch, _ := json.Marshal([]map[string]any{
		{"op": "test", "path": "/metadata/resourceVersion", "value": app.ResourceVersion},
		{"op": "add", "path": "/metadata/finalizers", "value": kept},
	})
	return patch, true
}
