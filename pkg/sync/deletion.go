package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

// DeletionInput is what planning the deletion of an Application's objects reads.
type DeletionInput struct {
	// Finalizers are the Application's finalizers; the resources finalizer
	// (and its /foreground and /background variants) asks for the deletion.
	Finalizers []string
	// AppSyncOptions are spec.syncPolicy.syncOptions (Delete=false|confirm).
	AppSyncOptions v1alpha1.SyncOptions
	// Live are the Application's managed live objects, hooks excluded. Only
	// those whose tracking annotation names the Application (AppNamespace,
	// AppName) are ever deleted: an object adopted by key, or tracked to
	// another Application (shared), survives.
	Live map[cluster.ResourceKey]*unstructured.Unstructured
	// AppNamespace and AppName name the Application being deleted.
	AppNamespace, AppName string
	// Self is the key of the Application itself, never deleted by its own
	// finalizer when it manages itself; empty when it does not.
	Self cluster.ResourceKey
	// DeletionApproved is true when deletion-approved confirms Delete=confirm.
	DeletionApproved bool
}

// DeletionStep is the next step of deleting an Application's objects.
type DeletionStep struct {
	// Delete are the objects to delete now: the highest remaining wave.
	Delete []*unstructured.Unstructured
	// Propagation is the propagation policy from the finalizer variant.
	Propagation metav1.DeletionPropagation
	// Waiting, when set, says what the deletion waits for; nothing is deleted.
	Waiting string
	// Done is true when nothing is left to delete (or the finalizer is absent).
	Done bool
}

// DeletionPlan is the next step of an Application's deletion with the
// resources finalizer, as Argo CD does it: wait for objects already being
// deleted, then delete one wave at a time, highest wave first. CRDs, objects
// with Delete=false or helm.sh/resource-policy: keep, and the Application
// itself are never deleted; Delete=confirm waits for deletion-approved.
// Without the finalizer the destination is not touched at all.
func DeletionPlan(in DeletionInput) DeletionStep {
	propagation, finalizer := finalizerPropagation(in.Finalizers)
	if !finalizer {
		return DeletionStep{Done: true}
	}
	appOptions, _ := ParseAppOptions(in.AppSyncOptions)
	var terminating int
	var candidates []*unstructured.Unstructured
	var unconfirmed []string
	for key, obj := range in.Live {
		if obj.GetDeletionTimestamp() != nil {
			terminating++
			continue
		}
		if !cluster.TrackedTo(obj, in.AppNamespace, in.AppName) || !deletable(key, obj, in.Self, appOptions) {
			continue
		}
		candidates = append(candidates, obj)
		if ResolveResourceOptions(appOptions, obj, false).Delete == DeleteConfirm && !in.DeletionApproved {
			unconfirmed = append(unconfirmed, key.String())
		}
	}
	switch {
	case terminating > 0:
		return DeletionStep{Propagation: propagation, Waiting: fmt.Sprintf("waiting for %d objects being deleted", terminating)}
	case len(unconfirmed) > 0:
		slices.Sort(unconfirmed)
		return DeletionStep{Propagation: propagation, Waiting: "waiting for deletion confirmation of " + unconfirmed[0]}
	case len(candidates) == 0:
		return DeletionStep{Propagation: propagation, Done: true}
	}
	sort.Slice(candidates, func(i, j int) bool {
		if wi, wj := Wave(candidates[i]), Wave(candidates[j]); wi != wj {
			return wi > wj
		}
		return cluster.KeyOf(candidates[i]).String() < cluster.KeyOf(candidates[j]).String()
	})
	highest := Wave(candidates[0])
	end := 1
	for end < len(candidates) && Wave(candidates[end]) == highest {
		end++
	}
	return DeletionStep{Delete: candidates[:end], Propagation: propagation}
}

// finalizerPropagation reads the resources finalizer: plain and /foreground
// delete in the foreground, /background in the background.
func finalizerPropagation(finalizers []string) (metav1.DeletionPropagation, bool) {
	switch {
	case slices.Contains(finalizers, v1alpha1.BackgroundPropagationPolicyFinalizer):
		return metav1.DeletePropagationBackground, true
	case slices.Contains(finalizers, v1alpha1.ResourcesFinalizerName),
		slices.Contains(finalizers, v1alpha1.ForegroundPropagationPolicyFinalizer):
		return metav1.DeletePropagationForeground, true
	}
	return "", false
}

func deletable(key cluster.ResourceKey, obj *unstructured.Unstructured, self cluster.ResourceKey, app AppOptions) bool {
	if isCRD(obj) || key == self {
		return false
	}
	if annotation(obj, AnnotationHelmResourcePolicy) == helmResourcePolicyKeep {
		return false
	}
	return ResolveResourceOptions(app, obj, false).Delete != DeleteDisabled
}

// Execute deletes the step's objects in parallel; objects already gone are fine.
func (d DeletionStep) Execute(ctx context.Context, client Applier) error {
	errs := make([]error, len(d.Delete))
	parallel(len(d.Delete), DefaultParallelism, func(i int) {
		key := cluster.KeyOf(d.Delete[i])
		err := client.Delete(ctx, key, DeleteOptions{Propagation: d.Propagation, UID: d.Delete[i].GetUID()})
		if err != nil && !apierrors.IsNotFound(err) {
			errs[i] = fmt.Errorf("delete %s: %w", key, err)
		}
	})
	return errors.Join(errs...)
}
