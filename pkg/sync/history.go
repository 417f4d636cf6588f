package sync

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// HistoryEntry is the status.history entry of a successful sync operation.
func HistoryEntry(state *v1alpha1.OperationState, deployedAt metav1.Time) v1alpha1.RevisionHistory {
	startedAt := state.StartedAt
	entry := v1alpha1.RevisionHistory{
		DeployedAt:      deployedAt,
		DeployStartedAt: &startedAt,
		InitiatedBy:     state.Operation.InitiatedBy,
	}
	if result := state.SyncResult; result != nil {
		entry.Revision = result.Revision
		entry.Revisions = result.Revisions
		entry.Source = result.Source
		entry.Sources = result.Sources
	}
	return entry
}

// AppendHistory appends entry with the next id and keeps the newest limit
// entries (spec.revisionHistoryLimit; nil means 10, zero keeps none).
func AppendHistory(history v1alpha1.RevisionHistories, entry v1alpha1.RevisionHistory, limit *int64) v1alpha1.RevisionHistories {
	entry.ID = 0
	if len(history) > 0 {
		entry.ID = history[len(history)-1].ID + 1
	}
	out := append(append(v1alpha1.RevisionHistories(nil), history...), entry)
	keep := int64(v1alpha1.RevisionHistoryLimit)
	if limit != nil {
		keep = max(*limit, 0)
	}
	if int64(len(out)) > keep {
		out = out[int64(len(out))-keep:]
	}
	return out
}
