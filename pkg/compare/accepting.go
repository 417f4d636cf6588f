package compare

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/diff"
	syncengine "capstan.dev/capstan/pkg/sync"
)

// AcceptingApplier is a sync's Applier that does not send a dry run whose
// answer is known: a server-side apply of the same target, by the same
// identity, to the same version of the object was accepted before (by a
// comparison's dry run without a warning, or by a sync's apply: see
// diff.Differ.RememberAccepted). Such a dry run answers as the API server
// would: accepted, and the live object itself when applying the target
// changes nothing. The applies a sync makes are remembered in turn.
//
// A self-heal then sends one request, the apply, after the comparison that
// found the drift; a sync after a commit dry-runs only the objects the
// commit changed.
type AcceptingApplier struct {
	syncengine.Applier
	Differ *diff.Differ
	// Identity is the client's identity (Comparer.writeClient).
	Identity string
}

// Apply applies obj, or answers a dry run the API server already answered.
func (a AcceptingApplier) Apply(ctx context.Context, obj *unstructured.Unstructured, opts syncengine.ApplyOptions) (syncengine.Applied, error) {
	remembered := a.Differ != nil && opts.ServerSide && !opts.Replace && !opts.CreateOnly
	if remembered && opts.DryRun && opts.Live != nil {
		if unchanged, ok := a.Differ.Accepted(a.Identity, obj, opts.Live); ok {
			applied := syncengine.Applied{Verb: syncengine.VerbSSA}
			if unchanged {
				applied.Object = opts.Live
			}
			return applied, nil
		}
	}
	applied, err := a.Applier.Apply(ctx, obj, opts)
	if err == nil && remembered && !opts.DryRun && opts.Validate && applied.Object != nil {
		// Applied under strict validation: applying obj again to what it
		// wrote is accepted and changes nothing.
		a.Differ.RememberAccepted(a.Identity, obj, applied.Object, true)
	}
	return applied, err
}
