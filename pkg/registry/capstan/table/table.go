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
