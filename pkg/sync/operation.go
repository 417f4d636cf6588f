package sync

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// OperationID is PlanInput.OperationID for an operation that started at
// startedAt: its Unix time, as Argo CD names generateName hooks.
func OperationID(startedAt time.Time) string {
	return strconv.FormatInt(startedAt.UTC().Unix(), 10)
}

// DeletionApproved reports whether an Application's
// argocd.argoproj.io/deletion-approved annotation (an RFC 3339 time) confirms
// Prune=confirm and Delete=confirm for an operation that started at since.
func DeletionApproved(annotations map[string]string, since time.Time) bool {
	value, ok := annotations[AnnotationDeletionApproved]
	if !ok {
		return false
	}
	approved, err := time.Parse(time.RFC3339, value)
	return err == nil && !approved.Before(since.Truncate(time.Second))
}

// RetryAllowed reports whether a failed operation is retried once more:
// a negative limit retries forever.
func RetryAllowed(strategy v1alpha1.RetryStrategy, retryCount int64) bool {
	return strategy.Limit < 0 || retryCount < strategy.Limit
}

// RetryBackoff is the wait before retry retryCount+1:
// duration·factor^retryCount, capped at maxDuration (defaults 5s, 2, 3m).
func RetryBackoff(strategy v1alpha1.RetryStrategy, retryCount int64) (time.Duration, error) {
	duration, factor, maxDuration := v1alpha1.DefaultSyncRetryDuration, v1alpha1.DefaultSyncRetryFactor, v1alpha1.DefaultSyncRetryMaxDuration
	if backoff := strategy.Backoff; backoff != nil {
		var err error
		if backoff.Duration != "" {
			if duration, err = parseRetryDuration(backoff.Duration); err != nil {
				return 0, fmt.Errorf("retry backoff duration %q: %w", backoff.Duration, err)
			}
		}
		if backoff.MaxDuration != "" {
			if maxDuration, err = parseRetryDuration(backoff.MaxDuration); err != nil {
				return 0, fmt.Errorf("retry backoff maxDuration %q: %w", backoff.MaxDuration, err)
			}
		}
		if backoff.Factor != nil {
			factor = *backoff.Factor
		}
	}
	wait := float64(duration) * math.Pow(float64(factor), float64(retryCount))
	if wait > float64(maxDuration) || math.IsInf(wait, 0) {
		return maxDuration, nil
	}
	return time.Duration(wait), nil
}

// parseRetryDuration reads "30s", "2m" or a plain number of seconds.
func parseRetryDuration(value string) (time.Duration, error) {
	if seconds, err := strconv.Atoi(value); err == nil {
		return time.Duration(seconds) * time.Second, nil
	}
	return time.ParseDuration(value)
}
