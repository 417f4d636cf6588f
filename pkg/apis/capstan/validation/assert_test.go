package validation

import (
	"sort"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// wantErr is what a test asserts about a field.Error: its type and path.
type wantErr struct {
	Type  field.ErrorType
	Field string
}

// assertErrors fails the test unless list holds exactly the wanted errors, in any order.
func assertErrors(t *testing.T, list field.ErrorList, want []wantErr) {
	t.Helper()
	got := make([]wantErr, 0, len(list))
	for _, err := range list {
		got = append(got, wantErr{Type: err.Type, Field: err.Field})
	}
	sorted := func(errs []wantErr) []wantErr {
		out := append([]wantErr(nil), errs...)
		sort.Slice(out, func(i, j int) bool {
			return out[i].Field+"\x00"+string(out[i].Type) < out[j].Field+"\x00"+string(out[j].Type)
		})
		return out
	}
	gotSorted, wantSorted := sorted(got), sorted(want)
	if len(gotSorted) != len(wantSorted) {
		t.Fatalf("got errors %v\n(%v)\nwant %v", gotSorted, list, wantSorted)
	}
	for i := range gotSorted {
		if gotSorted[i] != wantSorted[i] {
			t.Fatalf("got errors %v\n(%v)\nwant %v", gotSorted, list, wantSorted)
		}
	}
}
