package compare

import (
	"context"
	"fmt"
	"strings"
	"time"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/repourl"
	"capstan.dev/capstan/pkg/target"
)

// Hold describes a comparison made against the last resolved revision
// because a source could not be reached (Options.HoldOnOutage).
type Hold struct {
	// Since is when the outage was first seen: the time of the condition of
	// the first held comparison, kept by every later one.
	Since time.Time
	// Revision (single source) or Revisions (one per source) are the
	// revisions held on to.
	Revision  string
	Revisions []string
	// Err is the failure of the source, as the condition reports it.
	Err error
}

// heldPrefix starts the message of the ComparisonError of a held
// comparison; the time after it is Hold.Since.
const heldPrefix = "Source unreachable since "

// Message is the condition's message. It changes only when the failure does,
// so that the condition's lastTransitionTime stays put during an outage.
func (h *Hold) Message() string {
	revisions := h.Revision
	if len(h.Revisions) > 0 {
		revisions = strings.Join(h.Revisions, ", ")
	}
	return fmt.Sprintf("%s%s: comparing with the last resolved revision %s until it is back (nothing else is applied or pruned): %v",
		heldPrefix, h.Since.UTC().Format(time.RFC3339), revisions, h.Err)
}

// Condition is the ComparisonError a held comparison reports.
func (h *Hold) Condition() v1alpha1.ApplicationCondition {
	return v1alpha1.ApplicationCondition{Type: v1alpha1.ApplicationConditionComparisonError, Message: h.Message()}
}

// hold renders app at the revisions its last comparison resolved, when err
// (the failure of rendering its target state) is an outage of a source and
// the sources are still the ones those revisions were resolved for. It
// returns nil when there is nothing to hold on to: the comparison then fails
// as before.
func (c *Comparer) hold(ctx context.Context, app *v1alpha1.Application, opts target.Options, err error, now time.Time) (*target.Target, *Hold) {
	if !source.IsOutage(err) {
		return nil, nil
	}
	held, ok := HeldRevisions(app)
	if !ok {
		return nil, nil
	}
	if held.Revision != "" {
		opts.Revision = held.Revision
	} else {
		opts.Revisions = held.Revisions
	}
	// Every held revision is immutable (a commit, a chart version): its files
	// come from the local object store and chart cache, without the network.
	desired, renderErr := c.Targets.Target(ctx, app, opts)
	if renderErr != nil {
		return nil, nil
	}
	held.Err = err
	held.Since = outageSince(app.Status.Conditions, now)
	return desired, &held
}

// HeldRevisions returns the revisions app's last comparison resolved, when
// its sources still name the same repositories, charts and target revisions
// as the ones compared then (status.sync.comparedTo); false when there are
// none (never resolved) or the sources changed since.
func HeldRevisions(app *v1alpha1.Application) (Hold, bool) {
	status := app.Status.Sync
	if len(app.Spec.Sources) > 0 {
		if len(status.Revisions) != len(app.Spec.Sources) || len(status.ComparedTo.Sources) != len(app.Spec.Sources) {
			return Hold{}, false
		}
		for i, src := range app.Spec.Sources {
			if status.Revisions[i] == "" || !sameSource(status.ComparedTo.Sources[i], src) {
				return Hold{}, false
			}
		}
		return Hold{Revisions: append([]string(nil), status.Revisions...)}, true
	}
	if app.Spec.Source == nil || status.Revision == "" || !sameSource(status.ComparedTo.Source, *app.Spec.Source) {
		return Hold{}, false
	}
	return Hold{Revision: status.Revision}, true
}

// sameSource tells whether two sources resolve the same revision: the same
// repository, chart and target revision.
func sameSource(a, b v1alpha1.ApplicationSource) bool {
	return repourl.Normalize(a.RepoURL) == repourl.Normalize(b.RepoURL) && a.Chart == b.Chart &&
		strings.TrimSpace(a.TargetRevision) == strings.TrimSpace(b.TargetRevision)
}

// outageSince reads the start of an outage from the condition of the last
// held comparison, or returns now when there is none.
func outageSince(conditions []v1alpha1.ApplicationCondition, now time.Time) time.Time {
	for _, cond := range conditions {
		if cond.Type != v1alpha1.ApplicationConditionComparisonError {
			continue
		}
		rest, ok := strings.CutPrefix(cond.Message, heldPrefix)
		if !ok {
			continue
		}
		stamp, _, _ := strings.Cut(rest, ": ")
		if since, err := time.Parse(time.RFC3339, stamp); err == nil {
			return since
		}
	}
	return now.UTC().Truncate(time.Second)
}

// IsHeldCondition tells whether conditions hold the ComparisonError of a
// comparison made with the last resolved revision.
func IsHeldCondition(conditions []v1alpha1.ApplicationCondition) bool {
	for _, cond := range conditions {
		if cond.Type == v1alpha1.ApplicationConditionComparisonError && strings.HasPrefix(cond.Message, heldPrefix) {
			return true
		}
	}
	return false
}
