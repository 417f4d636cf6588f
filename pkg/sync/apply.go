package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/csaupgrade"

	"capstan.dev/capstan/pkg/cluster"
)

// FieldManager is the field manager of everything Capstan applies.
const FieldManager = "capstan"

// How an apply changed an object, worded as kubectl prints it.
const (
	VerbCreated    = "created"
	VerbConfigured = "configured"
	VerbUnchanged  = "unchanged"
	VerbReplaced   = "replaced"
	VerbSSA        = "serverside-applied"
)

// ApplyOptions say how one object is applied.
type ApplyOptions struct {
	// DryRun validates the change on the server (dryRun=All) without making it.
	DryRun bool
	// ServerSide applies with server-side apply, forcing conflicts; otherwise
	// a client-side three-way merge is used.
	ServerSide bool
	// Replace replaces the object (PUT), or creates it when absent.
	Replace bool
	// Force deletes and re-creates the object when it cannot be changed in place.
	Force bool
	// Validate rejects unknown and duplicate fields; false ignores them.
	Validate bool
	// CreateOnly creates the object; used to dry-run a hook that will be
	// re-created, where the caller tolerates AlreadyExists.
	CreateOnly bool
	// Live is the live object, when the caller knows it.
	Live *unstructured.Unstructured
	// MigrateManagers are client-side apply managers whose fields are handed
	// over to FieldManager before a server-side apply (ClientSideApplyMigration).
	MigrateManagers []string
}

// Applied is the outcome of an apply.
type Applied struct {
	// Object is the object the API server returned.
	Object *unstructured.Unstructured
	// Verb says what happened: created, configured, serverside-applied, replaced…
	Verb string
}

// DeleteOptions say how one object is deleted.
type DeleteOptions struct {
	// Propagation is the deletion propagation policy; empty is the server's default.
	Propagation metav1.DeletionPropagation
	// UID, when set, deletes the object only if it is still that object.
	UID types.UID
}

// Applier changes objects in a destination cluster. KubeApplier is the real
// one; tests use fakes.
type Applier interface {
	// Apply creates or changes obj.
	Apply(ctx context.Context, obj *unstructured.Unstructured, opts ApplyOptions) (Applied, error)
	// Delete deletes an object; a missing object is a NotFound error.
	Delete(ctx context.Context, key cluster.ResourceKey, opts DeleteOptions) error
	// Get reads an object; a missing object is a NotFound error.
	Get(ctx context.Context, key cluster.ResourceKey) (*unstructured.Unstructured, error)
	// RemoveFinalizer removes one finalizer from an object, if present.
	RemoveFinalizer(ctx context.Context, key cluster.ResourceKey, finalizer string) error
}

// AppliedVersions is implemented by an Applier that remembers what its
// applies returned. A running sync trusts a healthy cached copy of an object
// it applied when NotOlderThanApplied says the copy is that object at the
// version the apply returned, or later; otherwise it confirms with a GET.
type AppliedVersions interface {
	NotOlderThanApplied(obj *unstructured.Unstructured) bool
}

// KubeApplier is an Applier over the dynamic client of a cluster.
type KubeApplier struct {
	client dynamic.Interface
	mapper meta.RESTMapper
	// KindWait bounds how long an apply waits for the cluster to serve a kind
	// whose CRD was just created in the same sync.
	KindWait time.Duration
}

var _ Applier = &KubeApplier{}

// NewKubeApplier returns an Applier over client. mapper maps kinds to
// resources; a meta.ResettableRESTMapper is reset when a kind is unknown, so
// that kinds created by the sync are found.
func NewKubeApplier(client dynamic.Interface, mapper meta.RESTMapper) *KubeApplier {
	return &KubeApplier{client: client, mapper: mapper, KindWait: 30 * time.Second}
}

// IsNamespacedFunc returns PlanInput.IsNamespaced over a RESTMapper, refreshing
// a resettable mapper once when a kind is unknown.
func IsNamespacedFunc(mapper meta.RESTMapper) func(schema.GroupVersionKind) (bool, error) {
	return func(gvk schema.GroupVersionKind) (bool, error) {
		mapping, err := restMapping(mapper, gvk.GroupKind(), gvk.Version)
		if err != nil {
			return false, err
		}
		return mapping.Scope.Name() == meta.RESTScopeNameNamespace, nil
	}
}

func restMapping(mapper meta.RESTMapper, gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	mapping, err := mapper.RESTMapping(gk, versions...)
	if resettable, ok := mapper.(meta.ResettableRESTMapper); ok && meta.IsNoMatchError(err) {
		resettable.Reset()
		mapping, err = mapper.RESTMapping(gk, versions...)
	}
	return mapping, err
}

// resource returns the dynamic client of obj's kind, scoped to its namespace.
// A kind that is not served yet is waited for up to KindWait when wait is
// set, because a CRD created a moment ago takes a while to be served.
func (a *KubeApplier) resource(ctx context.Context, gk schema.GroupKind, version, namespace string, waitForKind bool) (dynamic.ResourceInterface, error) {
	var versions []string
	if version != "" {
		versions = []string{version}
	}
	mapping, err := restMapping(a.mapper, gk, versions...)
	if meta.IsNoMatchError(err) && waitForKind && a.KindWait > 0 {
		_ = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, a.KindWait, false, func(context.Context) (bool, error) {
			mapping, err = restMapping(a.mapper, gk, versions...)
			return !meta.IsNoMatchError(err), nil
		})
	}
	if err != nil {
		return nil, err
	}
	if mapping.Scope.Name() != meta.RESTScopeNameNamespace {
		return a.client.Resource(mapping.Resource), nil
	}
	return a.client.Resource(mapping.Resource).Namespace(namespace), nil
}

// Apply creates or changes obj: server-side apply by default, replace with
// Replace, a client-side three-way merge without ServerSide. Argo CD's
// tracking metadata left on an object it deployed is removed afterwards.
func (a *KubeApplier) Apply(ctx context.Context, obj *unstructured.Unstructured, opts ApplyOptions) (Applied, error) {
	gvk := obj.GroupVersionKind()
	client, err := a.resource(ctx, gvk.GroupKind(), gvk.Version, obj.GetNamespace(), !opts.DryRun)
	if err != nil {
		return Applied{}, err
	}
	applied, err := a.apply(ctx, client, obj, opts)
	if err != nil || opts.DryRun {
		return applied, err
	}
	if applied.Object, err = dropArgoCDTracking(ctx, client, obj, applied.Object); err != nil {
		return applied, fmt.Errorf("remove Argo CD's tracking: %w", err)
	}
	return applied, nil
}

func (a *KubeApplier) apply(ctx context.Context, client dynamic.ResourceInterface, obj *unstructured.Unstructured, opts ApplyOptions) (Applied, error) {
	switch {
	case opts.CreateOnly:
		created, err := client.Create(ctx, obj, metav1.CreateOptions{FieldManager: FieldManager, DryRun: dryRun(opts), FieldValidation: fieldValidation(opts)})
		return Applied{Object: created, Verb: VerbCreated}, err
	case opts.Replace:
		return a.replace(ctx, client, obj, opts)
	case opts.ServerSide:
		applied, err := a.serverSideApply(ctx, client, obj, opts)
		if err != nil && opts.Force && !opts.DryRun && cannotChangeInPlace(err) {
			return a.recreate(ctx, client, obj, opts)
		}
		return applied, err
	default:
		applied, err := clientSideApply(ctx, client, obj, opts)
		if err != nil && opts.Force && !opts.DryRun && cannotChangeInPlace(err) {
			return a.recreate(ctx, client, obj, opts)
		}
		return applied, err
	}
}

func (a *KubeApplier) serverSideApply(ctx context.Context, client dynamic.ResourceInterface, obj *unstructured.Unstructured, opts ApplyOptions) (Applied, error) {
	if !opts.DryRun && opts.Live != nil && len(opts.MigrateManagers) > 0 {
		if err := migrateManagedFields(ctx, client, opts.Live, opts.MigrateManagers); err != nil {
			return Applied{}, fmt.Errorf("migrate client-side apply fields to %s: %w", FieldManager, err)
		}
	}
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return Applied{}, err
	}
	force := true
	applied, err := client.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{
		FieldManager: FieldManager, Force: &force, DryRun: dryRun(opts), FieldValidation: fieldValidation(opts),
	})
	return Applied{Object: applied, Verb: VerbSSA}, err
}

// migrateManagedFields hands the fields of client-side apply managers over to
// FieldManager, so that fields later removed from the target are removed
// from the object instead of staying owned by the old manager.
func migrateManagedFields(ctx context.Context, client dynamic.ResourceInterface, live *unstructured.Unstructured, managers []string) error {
	patch, err := csaupgrade.UpgradeManagedFieldsPatch(live, sets.New(managers...), FieldManager)
	if err != nil || patch == nil {
		return err
	}
	_, err = client.Patch(ctx, live.GetName(), types.JSONPatchType, patch, metav1.PatchOptions{})
	if apierrors.IsConflict(err) {
		// The live object changed since it was read: read it again once.
		fresh, getErr := client.Get(ctx, live.GetName(), metav1.GetOptions{})
		if getErr != nil {
			return getErr
		}
		if patch, err = csaupgrade.UpgradeManagedFieldsPatch(fresh, sets.New(managers...), FieldManager); err != nil || patch == nil {
			return err
		}
		_, err = client.Patch(ctx, live.GetName(), types.JSONPatchType, patch, metav1.PatchOptions{})
	}
	return err
}

// replace is Replace=true: update the object with the live resourceVersion,
// or create it; with Force, delete and re-create it.
func (a *KubeApplier) replace(ctx context.Context, client dynamic.ResourceInterface, obj *unstructured.Unstructured, opts ApplyOptions) (Applied, error) {
	live, err := client.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		created, err := client.Create(ctx, obj, metav1.CreateOptions{FieldManager: FieldManager, DryRun: dryRun(opts), FieldValidation: fieldValidation(opts)})
		return Applied{Object: created, Verb: VerbCreated}, err
	}
	if err != nil {
		return Applied{}, err
	}
	if opts.Force && !opts.DryRun {
		return a.recreate(ctx, client, obj, opts)
	}
	update := obj.DeepCopy()
	update.SetResourceVersion(live.GetResourceVersion())
	replaced, err := client.Update(ctx, update, metav1.UpdateOptions{FieldManager: FieldManager, DryRun: dryRun(opts), FieldValidation: fieldValidation(opts)})
	return Applied{Object: replaced, Verb: VerbReplaced}, err
}

// recreate is Force=true: delete the object, wait until it is gone, create it.
func (a *KubeApplier) recreate(ctx context.Context, client dynamic.ResourceInterface, obj *unstructured.Unstructured, opts ApplyOptions) (Applied, error) {
	background := metav1.DeletePropagationBackground
	err := client.Delete(ctx, obj.GetName(), metav1.DeleteOptions{PropagationPolicy: &background})
	if err != nil && !apierrors.IsNotFound(err) {
		return Applied{}, fmt.Errorf("force: delete: %w", err)
	}
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := client.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		return Applied{}, fmt.Errorf("force: wait for deletion: %w", err)
	}
	created := obj.DeepCopy()
	created.SetResourceVersion("")
	result, err := client.Create(ctx, created, metav1.CreateOptions{FieldManager: FieldManager, FieldValidation: fieldValidation(opts)})
	return Applied{Object: result, Verb: VerbReplaced}, err
}

// cannotChangeInPlace reports errors that Force answers by re-creating:
// invalid changes (immutable fields) and conflicts.
func cannotChangeInPlace(err error) bool {
	return apierrors.IsInvalid(err) || apierrors.IsConflict(err)
}

// Delete deletes an object.
func (a *KubeApplier) Delete(ctx context.Context, key cluster.ResourceKey, opts DeleteOptions) error {
	client, err := a.resource(ctx, key.GroupKind(), "", key.Namespace, false)
	if err != nil {
		return err
	}
	options := metav1.DeleteOptions{}
	if opts.Propagation != "" {
		options.PropagationPolicy = &opts.Propagation
	}
	if opts.UID != "" {
		options.Preconditions = &metav1.Preconditions{UID: &opts.UID}
	}
	err = client.Delete(ctx, key.Name, options)
	if apierrors.IsConflict(err) && opts.UID != "" {
		// The precondition failed: the object was replaced by another one.
		return apierrors.NewNotFound(schema.GroupResource{Group: key.Group, Resource: key.Kind}, key.Name)
	}
	return err
}

// Get reads an object in the version the cluster prefers.
func (a *KubeApplier) Get(ctx context.Context, key cluster.ResourceKey) (*unstructured.Unstructured, error) {
	client, err := a.resource(ctx, key.GroupKind(), "", key.Namespace, false)
	if err != nil {
		return nil, err
	}
	return client.Get(ctx, key.Name, metav1.GetOptions{})
}

// RemoveFinalizer removes one finalizer with a JSON patch that first tests
// the entry, so a concurrent change of the list is never clobbered.
func (a *KubeApplier) RemoveFinalizer(ctx context.Context, key cluster.ResourceKey, finalizer string) error {
	client, err := a.resource(ctx, key.GroupKind(), "", key.Namespace, false)
	if err != nil {
		return err
	}
	for range 3 {
		obj, err := client.Get(ctx, key.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		index := slices.Index(obj.GetFinalizers(), finalizer)
		if index < 0 {
			return nil
		}
		path := fmt.Sprintf("/metadata/finalizers/%d", index)
		patch, _ := json.Marshal([]map[string]any{
			{"op": "test", "path": path, "value": finalizer},
			{"op": "remove", "path": path},
		})
		_, err = client.Patch(ctx, key.Name, types.JSONPatchType, patch, metav1.PatchOptions{})
		if err == nil || apierrors.IsNotFound(err) {
			return nil
		}
		if !apierrors.IsInvalid(err) && !apierrors.IsConflict(err) && !isTestFailed(err) {
			return err
		}
	}
	return fmt.Errorf("remove finalizer %s from %s: the finalizers keep changing", finalizer, key)
}

func isTestFailed(err error) bool {
	var status apierrors.APIStatus
	return errors.As(err, &status) && status.Status().Code == 422
}

func dryRun(opts ApplyOptions) []string {
	if opts.DryRun {
		return []string{metav1.DryRunAll}
	}
	return nil
}

func fieldValidation(opts ApplyOptions) string {
	if opts.Validate {
		return metav1.FieldValidationStrict
	}
	return metav1.FieldValidationIgnore
}
