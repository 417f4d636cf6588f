package registrytest

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
)

// Create creates obj through creater and returns what was stored. It fails the
// test when the create fails.
func Create[T runtime.Object](t *testing.T, ctx context.Context, creater rest.Creater, obj T) T {
	t.Helper()
	out, err := creater.Create(ctx, obj, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return out.(T)
}

// Get reads the object name through getter. It fails the test when the get fails.
func Get[T runtime.Object](t *testing.T, ctx context.Context, getter rest.Getter, name string) T {
	t.Helper()
	out, err := getter.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	return out.(T)
}

// Update writes obj through updater, the main or the status endpoint, and
// returns what was stored.
func Update[T runtime.Object](ctx context.Context, updater rest.Updater, obj T, options *metav1.UpdateOptions) (T, error) {
	var none T
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return none, err
	}
	out, _, err := updater.Update(ctx, accessor.GetName(), rest.DefaultUpdatedObjectInfo(obj),
		rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, options)
	if err != nil {
		return none, err
	}
	return out.(T), nil
}

// ColumnNames returns the names of the table's columns.
func ColumnNames(table *metav1.Table) []string {
	var names []string
	for _, column := range table.ColumnDefinitions {
		names = append(names, column.Name)
	}
	return names
}

// Cells returns the cells of the table's rows.
func Cells(table *metav1.Table) [][]interface{} {
	var cells [][]interface{}
	for _, row := range table.Rows {
		cells = append(cells, row.Cells)
	}
	return cells
}

// ExpectFinalizersHoldDeletion creates obj, which must carry a finalizer, through
// the main endpoint store and checks that deleting it only sets its
// deletionTimestamp, and that removing the finalizers then deletes it.
func ExpectFinalizersHoldDeletion[T runtime.Object](t *testing.T, ctx context.Context, store rest.StandardStorage, obj T) {
	t.Helper()
	accessor, err := meta.Accessor(obj)
	if err != nil || len(accessor.GetFinalizers()) == 0 {
		t.Fatalf("the object must carry a finalizer (accessor error %v)", err)
	}
	name := accessor.GetName()
	Create(t, ctx, store, obj)

	if _, deleted, err := store.Delete(ctx, name, rest.ValidateAllObjectFunc, &metav1.DeleteOptions{}); err != nil || deleted {
		t.Fatalf("delete: deleted %v, err %v; want the deletion held by the finalizer", deleted, err)
	}
	deleting := Get[T](t, ctx, store, name)
	deletingMeta, _ := meta.Accessor(deleting)
	if deletingMeta.GetDeletionTimestamp() == nil {
		t.Fatalf("delete did not set deletionTimestamp")
	}

	deletingMeta.SetFinalizers(nil)
	if _, err := Update(ctx, store, deleting, &metav1.UpdateOptions{}); err != nil {
		t.Fatalf("remove the finalizers: %v", err)
	}
	if _, err := store.Get(ctx, name, &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get after the finalizers were removed: got %v, want NotFound", err)
	}
}
