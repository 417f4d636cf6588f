// Package cascade says what deleting an Application does to the objects it
// manages, through Argo CD's resources finalizers: the kubectl plugin's
// `delete --cascade` and the dashboard's delete dialog set them the same way.
package cascade

import (
	"encoding/json"
	"fmt"
	"slices"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// The cascade choices: Foreground deletes the objects first, waiting for
// each; Background deletes them without waiting for their dependents;
// Orphan leaves them in the cluster.
const (
	Foreground = "foreground"
	Background = "background"
	Orphan     = "orphan"
)

// Finalizer is the resources finalizer for a cascade choice; empty for
// Orphan.
func Finalizer(cascade string) (string, error) {
	switch cascade {
	case Foreground:
		return v1alpha1.ResourcesFinalizerName, nil
	case Background:
		return v1alpha1.BackgroundPropagationPolicyFinalizer, nil
	case Orphan:
		return "", nil
	}
	return "", fmt.Errorf(`cascade: must be "foreground", "background" or "orphan", not %q`, cascade)
}

// FinalizerPatch is a JSON patch that replaces the Application's resources
// finalizers with want (none for Orphan), tested against the
// resourceVersion read so that a concurrent change is not overwritten;
// changed is false when they are already right.
func FinalizerPatch(app *v1alpha1.Application, want string) ([]byte, bool) {
	var kept []string
	has := false
	for _, finalizer := range app.Finalizers {
		switch finalizer {
		case want:
			has = true
			kept = append(kept, finalizer)
		case v1alpha1.ResourcesFinalizerName, v1alpha1.ForegroundPropagationPolicyFinalizer, v1alpha1.BackgroundPropagationPolicyFinalizer:
		default:
			kept = append(kept, finalizer)
		}
	}
	if want != "" && !has {
		kept = append(kept, want)
	}
	if slices.Equal(kept, app.Finalizers) {
		return nil, false
	}
	if kept == nil {
		kept = []string{}
	}
	patch, _ := json.Marshal([]map[string]any{
		{"op": "test", "path": "/metadata/resourceVersion", "value": app.ResourceVersion},
		{"op": "add", "path": "/metadata/finalizers", "value": kept},
	})
	return patch, true
}
