package plugin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// waitConditions are what `wait` waits for; none set means sync, health
// and operation, as argocd app wait.
type waitConditions struct {
	sync, health, operation, suspended, degraded bool
}

func (w waitConditions) withDefaults() waitConditions {
	if !w.sync && !w.health && !w.operation && !w.suspended && !w.degraded {
		w.sync, w.health, w.operation = true, true, true
	}
	return w
}

// unmet lists the conditions app does not meet yet.
func (w waitConditions) unmet(app *v1alpha1.Application) []string {
	var unmet []string
	if w.sync && app.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced {
		unmet = append(unmet, "sync status is "+orDefault(string(app.Status.Sync.Status), "unknown"))
	}
	if w.health && app.Status.Health.Status != v1alpha1.HealthStatusHealthy {
		unmet = append(unmet, "health is "+orDefault(string(app.Status.Health.Status), "unknown"))
	}
	if w.suspended && app.Status.Health.Status != v1alpha1.HealthStatusSuspended {
		unmet = append(unmet, "health is "+orDefault(string(app.Status.Health.Status), "unknown"))
	}
	if w.degraded && app.Status.Health.Status != v1alpha1.HealthStatusDegraded {
		unmet = append(unmet, "health is "+orDefault(string(app.Status.Health.Status), "unknown"))
	}
	if w.operation && (app.Operation != nil || app.Status.OperationState != nil && !app.Status.OperationState.Phase.IsCompleted()) {
		unmet = append(unmet, "an operation is running")
	}
	return unmet
}

func newWaitCommand(c *clients) *cobra.Command {
	var conditions waitConditions
	timeout := 30 * time.Second
	cmd := &cobra.Command{
		Use:   "wait NAME... [--sync] [--health] [--operation] [--suspended] [--degraded] [--timeout D]",
		Short: "Wait until Applications are synced, healthy and without a running operation",
		Long: "wait watches each Application NAME until it meets every condition asked for (without any: --sync, --health " +
			"and --operation), then prints \"condition met\". Like kubectl wait it exits 1 when --timeout (default 30s) passes " +
			"first; a negative timeout waits a week, zero checks once.",
		Example:           "  kubectl capstan wait guestbook\n  kubectl capstan wait guestbook other --health --timeout 5m",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: c.completeApplicationNames,
		RunE: func(cmd *cobra.Command, names []string) error {
			apps, _, err := c.applications()
			if err != nil {
				return err
			}
			wanted := conditions.withDefaults()
			for _, name := range names {
				if err := waitFor(cmd.Context(), apps, name, wanted, timeout); err != nil {
					return &ExitError{Code: 1, Err: err}
				}
				fmt.Fprintf(c.streams.Out, "%s condition met\n", qualified(name))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&conditions.sync, "sync", false, "Wait until the sync status is Synced.")
	cmd.Flags().BoolVar(&conditions.health, "health", false, "Wait until the health is Healthy.")
	cmd.Flags().BoolVar(&conditions.operation, "operation", false, "Wait until no operation is running.")
	cmd.Flags().BoolVar(&conditions.suspended, "suspended", false, "Wait until the health is Suspended.")
	cmd.Flags().BoolVar(&conditions.degraded, "degraded", false, "Wait until the health is Degraded.")
	cmd.Flags().DurationVar(&timeout, "timeout", timeout, "How long to wait; negative waits a week, zero checks once.")
	return cmd
}

// waitFor waits until the Application meets wanted, as kubectl wait times out.
func waitFor(ctx context.Context, apps applicationGetter, name string, wanted waitConditions, timeout time.Duration) error {
	if timeout == 0 {
		app, err := apps.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if unmet := wanted.unmet(app); len(unmet) > 0 {
			return fmt.Errorf("%w on %s: %s", errTimedOut, qualified(name), strings.Join(unmet, ", "))
		}
		return nil
	}
	if timeout < 0 {
		timeout = 7 * 24 * time.Hour
	}
	var unmet []string
	_, err := watchApplication(ctx, apps, name, timeout, func(app *v1alpha1.Application) (bool, error) {
		unmet = wanted.unmet(app)
		return len(unmet) == 0, nil
	})
	if err != nil && len(unmet) > 0 {
		return fmt.Errorf("%w (%s)", err, strings.Join(unmet, ", "))
	}
	return err
}
