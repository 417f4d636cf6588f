package appproject_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/registry/capstan/appproject"
	"capstan.dev/capstan/pkg/registry/capstan/registrytest"
	"capstan.dev/capstan/pkg/scheme"
)

func TestAppProjectTable(t *testing.T) {
	storage, err := appproject.NewStorage(scheme.Scheme, registrytest.NewTableOnlyRESTOptions("appprojects"))
	if err != nil {
		t.Fatalf("appprojects storage: %v", err)
	}
	production := *validAppProject("production")
	production.CreationTimestamp = metav1.NewTime(time.Now().Add(-5 * 24 * time.Hour))
	unstamped := *validAppProject("default")

	tests := []struct {
		name         string
		obj          runtime.Object
		options      runtime.Object
		wantColumns  []string
		wantRows     [][]interface{}
		wantVersion  string
		wantContinue string
	}{
		{
			name:        "a project prints its name and age",
			obj:         &production,
			wantColumns: []string{"Name", "Age"},
			wantRows:    [][]interface{}{{"production", "5d"}},
		},
		{
			name:        "a project without a creation time prints an unknown age",
			obj:         &unstamped,
			wantColumns: []string{"Name", "Age"},
			wantRows:    [][]interface{}{{"default", "<unknown>"}},
		},
		{
			name: "a list prints one row per item and keeps resourceVersion and continue",
			obj: &capstan.AppProjectList{
				ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "next-page"},
				Items:    []capstan.AppProject{production, unstamped},
			},
			wantColumns:  []string{"Name", "Age"},
			wantRows:     [][]interface{}{{"production", "5d"}, {"default", "<unknown>"}},
			wantVersion:  "42",
			wantContinue: "next-page",
		},
		{
			name:     "noHeaders leaves out the column definitions",
			obj:      &production,
			options:  &metav1.TableOptions{NoHeaders: true},
			wantRows: [][]interface{}{{"production", "5d"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, err := storage.AppProject.ConvertToTable(context.Background(), tt.obj, tt.options)
			if err != nil {
				t.Fatalf("convert: %v", err)
			}
			columns := registrytest.ColumnNames(table)
			if !reflect.DeepEqual(columns, tt.wantColumns) {
				t.Errorf("columns = %v, want %v", columns, tt.wantColumns)
			}
			rows := registrytest.Cells(table)
			if !reflect.DeepEqual(rows, tt.wantRows) {
				t.Errorf("rows = %v, want %v", rows, tt.wantRows)
			}
			if table.ResourceVersion != tt.wantVersion || table.Continue != tt.wantContinue {
				t.Errorf("resourceVersion %q continue %q, want %q and %q", table.ResourceVersion, table.Continue, tt.wantVersion, tt.wantContinue)
			}
		})
	}
}
