package table_test

import (
	"context"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/registry/capstan/table"
)

// The column and row layout is tested with each resource's convertor; these
// tests cover what the resources' fixtures do not reach.

func TestConvertorCopiesTheMetadataOfWhatItPrints(t *testing.T) {
	remaining := int64(3)
	convertor := table.NewConvertor(nil, func(runtime.Object) ([]interface{}, error) { return nil, nil })
	tests := []struct {
		name string
		obj  runtime.Object
		want metav1.ListMeta
	}{
		{
			name: "a single object gives its resourceVersion",
			obj:  &capstan.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "default", ResourceVersion: "7"}},
			want: metav1.ListMeta{ResourceVersion: "7"},
		},
		{
			name: "a list gives its resourceVersion, continue token and remaining item count",
			obj: &capstan.AppProjectList{ListMeta: metav1.ListMeta{
				ResourceVersion: "42", Continue: "next-page", RemainingItemCount: &remaining,
			}},
			want: metav1.ListMeta{ResourceVersion: "42", Continue: "next-page", RemainingItemCount: &remaining},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := convertor.ConvertToTable(context.Background(), tt.obj, nil)
			if err != nil {
				t.Fatalf("convert: %v", err)
			}
			if got.ResourceVersion != tt.want.ResourceVersion || got.Continue != tt.want.Continue ||
				(got.RemainingItemCount == nil) != (tt.want.RemainingItemCount == nil) ||
				(got.RemainingItemCount != nil && *got.RemainingItemCount != *tt.want.RemainingItemCount) {
				t.Errorf("table metadata = %+v, want %+v", got.ListMeta, tt.want)
			}
		})
	}
}

func TestConvertorReturnsTheErrorOfARow(t *testing.T) {
	errNotPrintable := errors.New("not printable")
	convertor := table.NewConvertor(nil, func(runtime.Object) ([]interface{}, error) { return nil, errNotPrintable })
	list := &capstan.AppProjectList{Items: []capstan.AppProject{{ObjectMeta: metav1.ObjectMeta{Name: "default"}}}}
	if _, err := convertor.ConvertToTable(context.Background(), list, nil); !errors.Is(err, errNotPrintable) {
		t.Errorf("convert: got %v, want the row's error", err)
	}
}

// TestRowsOfAMetadataTableLeaveManagedFieldsOut checks what kubectl's
// default Table request (includeObject=Metadata) gets per row: the
// metadata without managedFields, the stored object untouched; a Table with
// whole objects (includeObject=Object) keeps them.
func TestRowsOfAMetadataTableLeaveManagedFieldsOut(t *testing.T) {
	convertor := table.NewConvertor(nil, func(runtime.Object) ([]interface{}, error) { return nil, nil })
	stored := func() *capstan.Application {
		return &capstan.Application{ObjectMeta: metav1.ObjectMeta{
			Name: "web", Namespace: "apps", ResourceVersion: "7", Labels: map[string]string{"team": "web"},
			Annotations:   map[string]string{"note": "kept"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "capstan", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status"}},
		}}
	}
	for _, include := range []metav1.IncludeObjectPolicy{"", metav1.IncludeMetadata} {
		app := stored()
		got, err := convertor.ConvertToTable(context.Background(), &capstan.ApplicationList{Items: []capstan.Application{*app}},
			&metav1.TableOptions{IncludeObject: include})
		if err != nil {
			t.Fatal(err)
		}
		row, ok := got.Rows[0].Object.Object.(*metav1.PartialObjectMetadata)
		if !ok {
			t.Fatalf("includeObject=%q: the row holds %T, want the object's metadata", include, got.Rows[0].Object.Object)
		}
		if len(row.ManagedFields) != 0 || row.Name != "web" || row.Namespace != "apps" || row.ResourceVersion != "7" ||
			row.Labels["team"] != "web" || row.Annotations["note"] != "kept" {
			t.Errorf("includeObject=%q: row metadata %+v, want everything but managedFields", include, row.ObjectMeta)
		}
	}
	list := &capstan.ApplicationList{Items: []capstan.Application{*stored()}}
	got, err := convertor.ConvertToTable(context.Background(), list, &metav1.TableOptions{IncludeObject: metav1.IncludeObject})
	if err != nil {
		t.Fatal(err)
	}
	if app, ok := got.Rows[0].Object.Object.(*capstan.Application); !ok || len(app.ManagedFields) != 1 {
		t.Errorf("includeObject=Object: the row holds %T, want the whole Application with its managedFields", got.Rows[0].Object.Object)
	}
	if len(list.Items[0].ManagedFields) != 1 {
		t.Error("the listed object lost its managedFields")
	}
}
