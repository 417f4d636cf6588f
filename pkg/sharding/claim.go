package sharding

import (
	"context"
	"encoding/json"
	"fmt"

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

// HoldsOperation tells whether this replica holds the claim of app's
// operation (and its own Lease): it runs that operation to its end even when
// the Application has moved to another replica meanwhile.
func (a *Applications) HoldsOperation(app *v1alpha1.Application) bool {
	claim, ok := ClaimOf(app)
	return ok && app.Operation != nil && claim.Replica == a.Identity() && a.Holding()
}

// ClaimOperation makes this replica the one that runs app's operation, when
// it may: it holds the claim already, or it owns the Application and the
// operation has not started, or its claimant's Lease has expired (a takeover:
// the operation resumes from its persisted step). It returns the Application
// as written, and false when another replica runs the operation. A conflict
// means another replica or a user wrote first; the caller tries again later.
func (a *Applications) ClaimOperation(ctx context.Context, app *v1alpha1.Application) (*v1alpha1.Application, bool, error) {
	if !a.Holding() || app.Operation == nil {
		return app, false, nil
	}
	claim, claimed := ClaimOf(app)
	if claimed && claim.Replica == a.Identity() {
		return app, true, nil
	}
	if !a.Owns(app.Namespace, app.Name) {
		return app, false, nil
	}
	state := app.Status.OperationState
	running := state != nil && state.Phase != v1alpha1.OperationSucceeded &&
		state.Phase != v1alpha1.OperationFailed && state.Phase != v1alpha1.OperationError
	if claimed && running && a.Live(claim.Replica) {
		return app, false, nil
	}
	value, err := json.Marshal(Claim{Replica: a.Identity(), Lease: a.LeaseNamespace() + "/" + a.LeaseName()})
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
	if running {
		takeovers.Inc()
		klog.FromContext(ctx).Info("Took the operation over from the persisted step", "previousReplica", claim.Replica,
			"phase", state.Phase, "replica", a.Identity())
	}
	return written, true, nil
}

// fieldManager is the field manager of the sharding writes, the controller's.
const fieldManager = "capstan"
