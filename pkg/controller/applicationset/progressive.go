package applicationset

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/plan"
)

// holdAutoSync is the part of progressive syncs that changes what is written.
func (c *Controller) holdAutoSync(appSet *v1alpha1.ApplicationSet, changes []plan.Change) []plan.Change {
	return changes
}

// setApplicationStatus advances a RollingSync.
func (c *Controller) setApplicationStatus(ctx context.Context, appSet *v1alpha1.ApplicationSet, status *v1alpha1.ApplicationSetStatus,
	owned []*v1alpha1.Application, now metav1.Time) {
}
