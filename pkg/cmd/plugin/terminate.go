package plugin

import (
	"fmt"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func newTerminateCommand(c *clients) *cobra.Command {
	return &cobra.Command{
		Use:   "terminate NAME",
		Short: "Terminate the running operation of an Application",
		Long: "terminate marks the running operation of the Application NAME Terminating through the " +
			"applications/NAME/terminate subresource; its running hooks are deleted and it ends Failed.",
		Example:           "  kubectl capstan terminate guestbook",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: c.completeApplicationNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			apps, _, err := c.applications()
			if err != nil {
				return err
			}
			request := &v1alpha1.ApplicationTerminateRequest{ObjectMeta: metav1.ObjectMeta{Name: args[0]}}
			request.SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind("ApplicationTerminateRequest"))
			answer, err := apps.Terminate(cmd.Context(), args[0], request, metav1.CreateOptions{})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.streams.Out, "%s operation %s\n", qualified(args[0]), orDefault(string(answer.Status.Phase), "Terminating"))
			return nil
		},
	}
}
