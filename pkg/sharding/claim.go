package sharding

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
)

// ClaimAnnotation names the replica that runs an Application's operation and
// the Lease that keeps its claim valid, as JSON ({"replica":…,"lease":…}).
// It is written with the operation state through the status subresource,
// conditional on the Application's resourceVersion, so two replicas can never
// both hold it: the second write fails with a conflict.
const ClaimAnnotation = "capstan.dev/operation-claim"

// Claim is the value of ClaimAnnotation.
type Claim struct {
	// Replica runs the operation.
	Replica string `json:"replica"`
	// Lease is the replica's Lease as namespace/name: while it is live, no
	// other replica touches the operation.
	Lease string `json:"lease"`
	// At is when the claim was written: a claim older than the end of the
	// last operation was for that operation, and claims nothing now.
	At metav1.Time `json:"at"`
}

// ClaimOf returns the claim recorded on app, false when there is none or it
// cannot be read.
func ClaimOf(app *v1alpha1.Application) (Claim, bool) {
	value, ok := app.Annotations[ClaimAnnotation]
	if !ok {
		return Claim{}, false
	}
	var claim Claim
	if err := json.Unmarshal([]byte(value), &claim); err != nil || claim.Replica == "" {
		return Claim{}, false
	}
	return claim, true
}

// currentClaim returns the claim of app's pending or running operation:
// false when there is none, or the recorded claim was for an operation that
// has finished since (FinishedAt has whole seconds: a claim of the same
// second counts as current, which keeps the operation with its claimant).
func currentClaim(app *v1alpha1.Application) (Claim, bool) {
	claim, ok := ClaimOf(app)
	if !ok || app.Operation == nil {
		return Claim{}, false
	}
	state := app.Status.OperationState
	if state == nil || state.FinishedAt == nil {
		return claim, true
	}
	return claim, !claim.At.Time.Before(state.FinishedAt.Time.Truncate(time.Second))
}

// running tells whether app's operation has started and not finished.
func running(app *v1alpha1.Application) bool {
	state := app.Status.OperationState
	return app.Operation != nil && state != nil && state.FinishedAt == nil && state.Phase == v1alpha1.OperationRunning
}

// Applications shards Applications over the replicas: it is the Shard the
// Application controller consults.
type Applications struct {
	*Sharder
	// Client writes the claims.
	Client clientset.Interface
}

// Owns tells whether this replica compares, syncs and deletes the Application.
func (a *Applications) Owns(namespace, name string) bool {
	return a.Holding() && a.Sharder.Owns(KeyOf(namespace, name))
}

// HoldsOperation tells whether this replica holds the current claim of app's
// operation (and its own Lease): it runs that operation to its end even when
// the Application has moved to another replica meanwhile.
func (a *Applications) HoldsOperation(app *v1alpha1.Application) bool {
	claim, ok := currentClaim(app)
	return ok && claim.Replica == a.Identity() && a.Holding()
}

// ClaimOperation makes this replica the one that runs app's operation, when
// it may: it holds the current claim already, or it owns the Application and
// no live replica holds a current claim (none was written for this
// operation, or its claimant's Lease has expired: a takeover, the operation
// resumes from its persisted step). It returns the Application as written,
// and false when another replica runs the operation. The claim is written
// conditionally on app's resourceVersion, so of two replicas that both
// believe they own the Application, one fails with a conflict and finds the
// other's claim on its next try.
func (a *Applications) ClaimOperation(ctx context.Context, app *v1alpha1.Application) (*v1alpha1.Application, bool, error) {
	if !a.Holding() || app.Operation == nil {
		return app, false, nil
	}
	previous, claimed := currentClaim(app)
	if claimed && previous.Replica == a.Identity() {
		return app, true, nil
	}
	if claimed && a.Live(previous.Replica) || !a.Owns(app.Namespace, app.Name) {
		return app, false, nil
	}
	value, err := json.Marshal(Claim{Replica: a.Identity(), Lease: a.LeaseNamespace() + "/" + a.LeaseName(), At: metav1.Now()})
	if err != nil {
		return app, false, err
	}
	updated := app.DeepCopy()
	if updated.Annotations == nil {
		updated.Annotations = map[string]string{}
	}
	updated.Annotations[ClaimAnnotation] = string(value)
	written, err := a.Client.CapstanV1alpha1().Applications(app.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: fieldManager})
	if err != nil {
		return app, false, fmt.Errorf("claim the operation: %w", err)
	}
	if claimed && running(app) {
		takeovers.Inc()
		klog.FromContext(ctx).Info("Took the operation over from the persisted step", "previousReplica", previous.Replica,
			"phase", app.Status.OperationState.Phase, "replica", a.Identity())
	}
	return written, true, nil
}

// fieldManager is the field manager of the sharding writes, the controller's.
const fieldManager = "capstan"
