package synctest

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	syncengine "capstan.dev/capstan/pkg/sync"
	"capstan.dev/capstan/test/localplane"
)

// countingOperation is an operation whose applies and schema reads are
// counted, validating new objects on the client as the controller does.
func countingOperation(t *testing.T, e *env, targets []*unstructured.Unstructured) (*operation, *localplane.RequestCounter) {
	t.Helper()
	counter := &localplane.RequestCounter{}
	counted := rest.CopyConfig(config)
	counter.Wrap(counted)
	client, err := dynamic.NewForConfig(counted)
	if err != nil {
		t.Fatal(err)
	}
	disco, err := discovery.NewDiscoveryClientForConfig(counted)
	if err != nil {
		t.Fatal(err)
	}
	op := e.operation(targets, v1alpha1.SyncOperation{})
	op.applier = syncengine.NewKubeApplier(client, e.mapper)
	op.validator = cluster.NewSchemaValidator(disco.OpenAPIV3())
	return op, counter
}

func TestObjectsThatDoNotExistYetAreValidatedWithoutADryRunEach(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	targets := []*unstructured.Unstructured{newConfigMap("a", nil, nil), newConfigMap("b", nil, nil), newConfigMap("c", nil, nil)}
	op, counter := countingOperation(t, e, targets)

	out := op.finish(t)

	wantPhase(t, out, v1alpha1.OperationSucceeded, "successfully synced")
	if dryRuns := counter.CountOf(localplane.RequestDryRun); dryRuns != 0 {
		t.Errorf("creating 3 ConfigMaps sent %d dry runs; last requests %v", dryRuns, counter.Recent())
	}
	if applies := counter.CountOf(localplane.RequestApply); applies != 3 {
		t.Errorf("creating 3 ConfigMaps sent %d applies, want 3", applies)
	}
}

func TestAnObjectThatDoesNotMatchTheSchemaFailsTheSyncBeforeAnythingIsApplied(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bad := newConfigMap("bad", nil, nil)
	bad.Object["notAField"] = "x"
	targets := []*unstructured.Unstructured{newConfigMap("good", nil, nil), bad}
	op, counter := countingOperation(t, e, targets)

	out := op.finish(t)

	wantPhase(t, out, v1alpha1.OperationFailed, "failed to apply (dry run)")
	if !strings.Contains(out.Message, "notAField") {
		t.Errorf("message %q does not name the field", out.Message)
	}
	if e.get(t, configMaps, "good") != nil || counter.CountOf(localplane.RequestApply) != 0 {
		t.Errorf("a sync that failed validation applied objects (%d applies)", counter.CountOf(localplane.RequestApply))
	}
}
