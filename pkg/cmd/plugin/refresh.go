package plugin

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/refresh"
)

func newRefreshCommand(c *clients) *cobra.Command {
	var hard bool
	var follow operationFlags
	cmd := &cobra.Command{
		Use:   "refresh NAME... [--hard] [--async] [--timeout D]",
		Short: "Compare Applications with their repositories again now",
		Long: "refresh sets the argocd.argoproj.io/refresh annotation (normal, or hard to bypass every cache) on each " +
			"Application NAME, which makes the controller resolve its revisions and compare again at once, and waits until " +
			"the controller has done so (it removes the annotation), then prints the result. It needs only the right to " +
			"patch applications: the Kubernetes-native trigger for Git hosts that cannot reach the cluster's webhook.",
		Example:           "  kubectl capstan refresh guestbook\n  kubectl capstan refresh guestbook --hard",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: c.completeApplicationNames,
		RunE: func(cmd *cobra.Command, names []string) error {
			apps, _, err := c.applications()
			if err != nil {
				return err
			}
			value := refresh.Normal
			if hard {
				value = refresh.Hard
			}
			patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{refresh.Annotation: value}}})
			if err != nil {
				return err
			}
			for _, name := range names {
				if _, err := apps.Patch(cmd.Context(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
					return err
				}
				fmt.Fprintf(c.streams.Out, "%s %s refresh requested\n", qualified(name), value)
			}
			if follow.async {
				return nil
			}
			for _, name := range names {
				app, err := watchApplication(cmd.Context(), apps, name, follow.timeout, func(app *v1alpha1.Application) (bool, error) {
					_, pending := app.Annotations[refresh.Annotation]
					return !pending, nil
				})
				if err != nil {
					return &ExitError{Code: 1, Err: err}
				}
				fmt.Fprintf(c.streams.Out, "%s refreshed: %s, %s\n", qualified(name), syncStatus(app), healthStatus(app.Status.Health.Status, ""))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&hard, "hard", false, "Also bypass the render and comparison caches.")
	follow.addFlags(cmd, "refresh")
	return cmd
}
