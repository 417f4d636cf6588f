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
