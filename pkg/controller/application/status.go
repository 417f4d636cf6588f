package application

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/compare"
	"capstan.dev/capstan/pkg/refresh"
)

// comparisonConditions are the condition types a refresh owns and replaces
// each time: comparison failures, refused automated syncs, and the warnings
// about shared, repeated and orphaned resources, so that they clear once fixed.
var comparisonConditions = map[v1alpha1.ApplicationConditionType]bool{
	v1alpha1.ApplicationConditionComparisonError:         true,
	v1alpha1.ApplicationConditionInvalidSpecError:        true,
	v1alpha1.ApplicationConditionSyncError:               true,
	v1alpha1.ApplicationConditionSharedResourceWarning:   true,
	v1alpha1.ApplicationConditionRepeatedResourceWarning: true,
	v1alpha1.ApplicationConditionOrphanedResourceWarning: true,
}

// writeStatus publishes a comparison. It writes only when something changed, so
// that refreshing an unchanged Application costs no write; reconciledAt is
// updated with those writes.
//
// It returns the Application as stored after its write, or nil when the
// status did not change and nothing was written.
func (c *Controller) writeStatus(ctx context.Context, app *v1alpha1.Application, result compare.Result) (*v1alpha1.Application, error) {
	return c.writeStatusStarting(ctx, app, result, nil)
}

// writeStatusStarting is writeStatus that, when start is set, also requests
// that automated sync and records it as started, in the same write (see
// startsOwnOperation in the registry): the comparison that calls for a sync
// and the sync's start cost one write.
func (c *Controller) writeStatusStarting(ctx context.Context, app *v1alpha1.Application, result compare.Result, start *v1alpha1.Operation) (*v1alpha1.Application, error) {
	return c.writeStatusEnding(ctx, app, result, start, nil)
}

// writeStatusEnding is writeStatusStarting that, when end is set, also
// records the end of an operation: app is then the Application as that end
// leaves it (operationEnd.ended), and it is written even when the
// comparison found nothing new.
func (c *Controller) writeStatusEnding(ctx context.Context, app *v1alpha1.Application, result compare.Result, start *v1alpha1.Operation, end *operationEnd) (*v1alpha1.Application, error) {
	status := app.Status.DeepCopy()
	now := metav1.Now()

	status.Sync.Status = result.SyncStatus
	if result.Target != nil {
		// comparedTo and revision(s) stay a pair: the spec a target state was
		// rendered for and the revisions it resolved, which a comparison
		// holds on to while a source is unreachable (compare.HeldRevisions).
		status.Sync.ComparedTo = v1alpha1.ComparedTo{
			Destination:       app.Spec.Destination,
			IgnoreDifferences: app.Spec.IgnoreDifferences,
		}
		if app.Spec.Source != nil {
			status.Sync.ComparedTo.Source = *app.Spec.Source
		}
		status.Sync.ComparedTo.Sources = app.Spec.Sources
		status.Sync.Revision = result.Target.Revision
		status.Sync.Revisions = result.Target.Revisions
		status.SourceTypes = nil
		status.SourceType = ""
		if len(app.Spec.Sources) > 0 {
			status.SourceTypes = result.Target.SourceTypes
		} else if len(result.Target.SourceTypes) > 0 {
			status.SourceType = result.Target.SourceTypes[0]
		}
	}
	if status.Health.Status != result.Health.Status || status.Health.LastTransitionTime == nil {
		status.Health.LastTransitionTime = &now
	}
	status.Health.Status = result.Health.Status
	status.Health.Message = result.Health.Message
	status.Resources = result.Resources
	if result.Cluster != nil {
		// A failed comparison knows no resources: keep the last summary.
		status.Summary.Images = result.Summary.Images
		status.Summary.ExternalURLs = result.Summary.ExternalURLs
	}
	status.Conditions = mergeConditions(status.Conditions, result.Conditions, now)

	if start == nil && end == nil {
		if apiequality.Semantic.DeepEqual(&app.Status, status) {
			c.progressWritten(app)
			c.appInfo.set(app, status.Sync.Status, status.Health.Status)
			return nil, nil
		}
		if wait := c.progressWait(app, status, now.Time); wait > 0 {
			// Only progress messages changed: written with the next change,
			// or after the wait at the latest (progress.go).
			if key, err := cache.MetaNamespaceKeyFunc(app); err == nil {
				c.queue.AddAfter(key, wait)
			}
			c.appInfo.set(app, app.Status.Sync.Status, app.Status.Health.Status)
			return nil, nil
		}
	}
	c.progressWritten(app)
	status.ReconciledAt = &now
	updated := app.DeepCopy()
	updated.Status = *status
	if start != nil {
		updated.Operation = start
		updated.Status.OperationState = newState(start)
	}
	written, err := c.client.CapstanV1alpha1().Applications(app.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: compare.FieldManager})
	if err != nil {
		if end != nil {
			return nil, fmt.Errorf("record the operation's end: %w", err)
		}
		return nil, fmt.Errorf("update status: %w", err)
	}
	c.wrote(written)
	if end != nil {
		c.operationEnded(ctx, end)
	}
	c.appInfo.set(app, status.Sync.Status, status.Health.Status)
	c.recordStatusEvents(app, &app.Status, status.Sync.Status, status.Health.Status)
	return written, nil
}

// mergeConditions replaces the comparison conditions with fresh ones, keeping
// the transition time of conditions that did not change.
func mergeConditions(existing, fresh []v1alpha1.ApplicationCondition, now metav1.Time) []v1alpha1.ApplicationCondition {
	var out []v1alpha1.ApplicationCondition
	for _, old := range existing {
		if !comparisonConditions[old.Type] {
			out = append(out, old)
		}
	}
	for _, cond := range fresh {
		cond.LastTransitionTime = &now
		for _, old := range existing {
			if old.Type == cond.Type && old.Message == cond.Message {
				cond.LastTransitionTime = old.LastTransitionTime
			}
		}
		out = append(out, cond)
	}
	return out
}

// clearRefreshAnnotation removes the refresh request that was compared (and
// the webhook push beside it) only if it is still the one that was read: a
// request written during the comparison stays and is handled next. It
// returns the Application as written, or nil when a newer request replaced
// the one read, or the Application is gone.
func (c *Controller) clearRefreshAnnotation(ctx context.Context, app *v1alpha1.Application) (*v1alpha1.Application, error) {
	var ops []map[string]any
	for _, key := range []string{RefreshAnnotation, refresh.PushAnnotation} {
		if value, ok := app.Annotations[key]; ok {
			path := "/metadata/annotations/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
			ops = append(ops, map[string]any{"op": "test", "path": path, "value": value}, map[string]any{"op": "remove", "path": path})
		}
	}
	patch, err := json.Marshal(ops)
	if err != nil {
		return nil, err
	}
	written, err := c.client.CapstanV1alpha1().Applications(app.Namespace).Patch(ctx, app.Name, types.JSONPatchType, patch, metav1.PatchOptions{FieldManager: compare.FieldManager})
	if apierrors.IsInvalid(err) || apierrors.IsNotFound(err) {
		// A newer request replaced it (its update queued another refresh), or the Application is gone.
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("remove the %s annotation: %w", RefreshAnnotation, err)
	}
	c.wrote(written)
	return written, nil
}
