// Package table builds the metav1.Table answers of `kubectl get` for capstan.dev
// resources from a column list and a per-object row function.
package table

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metatable "k8s.io/apimachinery/pkg/api/meta/table"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// RowFunc returns the cells of one object after its name and before its age.
type RowFunc func(obj runtime.Object) ([]interface{}, error)

// Convertor prints objects as NAME, the given columns, then AGE.
type Convertor struct {
	columns []metav1.TableColumnDefinition
	row     RowFunc
}

// NewConvertor returns a Convertor for the columns between NAME and AGE.
func NewConvertor(columns []metav1.TableColumnDefinition, row RowFunc) Convertor {
	all := []metav1.TableColumnDefinition{{
		Name: "Name", Type: "string", Format: "name",
		Description: metav1.ObjectMeta{}.SwaggerDoc()["name"],
	}}
	all = append(all, columns...)
	all = append(all, metav1.TableColumnDefinition{
		Name: "Age", Type: "string",
		Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"],
	})
	return Convertor{columns: all, row: row}
}

// ConvertToTable converts one object or a list into a Table.
func (c Convertor) ConvertToTable(ctx context.Context, obj runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || !opts.NoHeaders {
		table.ColumnDefinitions = c.columns
	}
	rows, err := metatable.MetaToTableRow(obj, func(obj runtime.Object, m metav1.Object, name, age string) ([]interface{}, error) {
		cells, err := c.row(obj)
		if err != nil {
			return nil, err
		}
		out := append([]interface{}{name}, cells...)
		return append(out, age), nil
	})
	if err != nil {
		return nil, fmt.Errorf("print table: %w", err)
	}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || opts.IncludeObject != metav1.IncludeObject {
		for i := range rows {
			rows[i].Object.Object = metadataWithoutManagedFields(rows[i].Object.Object)
		}
	}
	table.Rows = rows
	if m, err := meta.ListAccessor(obj); err == nil {
		table.ResourceVersion = m.GetResourceVersion()
		table.Continue = m.GetContinue()
		table.RemainingItemCount = m.GetRemainingItemCount()
	} else if m, err := meta.CommonAccessor(obj); err == nil {
		table.ResourceVersion = m.GetResourceVersion()
	}
	return table, nil
}

// metadataWithoutManagedFields is what a row carries when the Table holds
// only metadata (kubectl's default, includeObject=Metadata): the object's
// metadata without managedFields, which no table printer reads and which make
// up most of the metadata of an Application whose status the controller
// writes. It shares the object's labels and annotations (nothing writes them
// on the way out); the object itself is left as it is in the watch cache.
func metadataWithoutManagedFields(obj runtime.Object) runtime.Object {
	accessor, ok := obj.(metav1.ObjectMetaAccessor)
	if !ok {
		return obj
	}
	m, ok := accessor.GetObjectMeta().(*metav1.ObjectMeta)
	if !ok || len(m.ManagedFields) == 0 {
		return obj
	}
	out := &metav1.PartialObjectMetadata{ObjectMeta: *m}
	out.ManagedFields = nil
	return out
}
