package sync

import (
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestAppendHistory(t *testing.T) {
	var history v1alpha1.RevisionHistories
	for i := range 12 {
		history = AppendHistory(history, v1alpha1.RevisionHistory{Revision: string(rune('a' + i))}, nil)
	}
	if len(history) != 10 || history[0].ID != 2 || history[9].ID != 11 || history[9].Revision != "l" {
		t.Errorf("history = %+v", history)
	}
	three := int64(3)
	if got := AppendHistory(history, v1alpha1.RevisionHistory{}, &three); len(got) != 3 || got[2].ID != 12 {
		t.Errorf("limit 3 = %+v", got)
	}
	zero := int64(0)
	if got := AppendHistory(history, v1alpha1.RevisionHistory{}, &zero); len(got) != 0 {
		t.Errorf("limit 0 = %+v", got)
	}
	if len(history) != 10 {
		t.Errorf("AppendHistory changed its argument")
	}
}

func TestHistoryEntry(t *testing.T) {
	started := metav1.Time{Time: now}
	state := &v1alpha1.OperationState{
		StartedAt:  started,
		Operation:  v1alpha1.Operation{InitiatedBy: v1alpha1.OperationInitiator{Username: "ann"}},
		SyncResult: &v1alpha1.SyncOperationResult{Revision: "abc", Source: v1alpha1.ApplicationSource{Path: "app"}},
	}
	deployed := metav1.Time{Time: now.Add(time.Minute)}
	want := v1alpha1.RevisionHistory{
		Revision: "abc", Source: v1alpha1.ApplicationSource{Path: "app"}, DeployedAt: deployed,
		DeployStartedAt: &started, InitiatedBy: v1alpha1.OperationInitiator{Username: "ann"},
	}
	if got := HistoryEntry(state, deployed); !reflect.DeepEqual(got, want) {
		t.Errorf("entry = %+v, want %+v", got, want)
	}
}

func TestRetryBackoff(t *testing.T) {
	three := int64(3)
	tests := []struct {
		name     string
		strategy v1alpha1.RetryStrategy
		retry    int64
		want     time.Duration
		wantErr  bool
	}{
		{name: "defaults: 5s", want: 5 * time.Second},
		{name: "defaults: doubled", retry: 2, want: 20 * time.Second},
		{name: "defaults: capped at 3m", retry: 10, want: 3 * time.Minute},
		{name: "unit-less seconds", strategy: v1alpha1.RetryStrategy{Backoff: &v1alpha1.Backoff{Duration: "10", Factor: &three, MaxDuration: "1h"}}, retry: 2, want: 90 * time.Second},
		{name: "Go durations", strategy: v1alpha1.RetryStrategy{Backoff: &v1alpha1.Backoff{Duration: "1m", MaxDuration: "90s"}}, retry: 1, want: 90 * time.Second},
		{name: "a bad duration", strategy: v1alpha1.RetryStrategy{Backoff: &v1alpha1.Backoff{Duration: "soon"}}, wantErr: true},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			got, err := RetryBackoff(test.strategy, test.retry)
			if (err != nil) != test.wantErr || got != test.want {
				t.Errorf("RetryBackoff = %s, %v; want %s, error %v", got, err, test.want, test.wantErr)
			}
		})
	}
}

func TestRetryAllowed(t *testing.T) {
	for _, test := range []struct {
		limit, count int64
		want         bool
	}{{0, 0, false}, {2, 1, true}, {2, 2, false}, {-1, 100, true}} {
		if got := RetryAllowed(v1alpha1.RetryStrategy{Limit: test.limit}, test.count); got != test.want {
			t.Errorf("limit %d after %d retries: %v, want %v", test.limit, test.count, got, test.want)
		}
	}
}

func TestDeletionApproved(t *testing.T) {
	started := now
	for _, test := range []struct {
		name  string
		value string
		want  bool
	}{
		{name: "after the operation started", value: now.Add(time.Minute).Format(time.RFC3339), want: true},
		{name: "at the start", value: now.Format(time.RFC3339), want: true},
		{name: "before the operation started", value: now.Add(-time.Minute).Format(time.RFC3339)},
		{name: "not a time", value: "yes"},
	} {
		t.Run(test.name, func(t *testing.T) {
			if got := DeletionApproved(map[string]string{AnnotationDeletionApproved: test.value}, started); got != test.want {
				t.Errorf("DeletionApproved = %v, want %v", got, test.want)
			}
		})
	}
	if DeletionApproved(nil, started) {
		t.Errorf("approved without the annotation")
	}
	if got := OperationID(now); got != "1785585600" {
		t.Errorf("OperationID = %s", got)
	}
}
