package applicationset_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/registry/capstan/applicationset"
	"capstan.dev/capstan/pkg/registry/capstan/registrytest"
	"capstan.dev/capstan/pkg/scheme"
)

// tableConvertor is the table convertor of the applicationsets storage, built
// without a storage backend.
func tableConvertor(t *testing.T) rest.TableConvertor {
	t.Helper()
	storage, err := applicationset.NewStorage(scheme.Scheme, registrytest.NewTableOnlyRESTOptions("applicationsets"), applicationset.PreviewConfig{})
	if err != nil {
		t.Fatalf("applicationsets storage: %v", err)
	}
	return storage.ApplicationSet
}

// fiveDaysOld is a creation time that prints as an age of 5d.
var fiveDaysOld = metav1.NewTime(time.Now().Add(-5 * 24 * time.Hour))

// withConditions is an ApplicationSet five days old with the given condition types and statuses.
func withConditions(name string, conditions map[capstan.ApplicationSetConditionType]capstan.ApplicationSetConditionStatus) capstan.ApplicationSet {
	appSet := validApplicationSet(name)
	appSet.CreationTimestamp = fiveDaysOld
	for conditionType, status := range conditions {
		appSet.Status.Conditions = append(appSet.Status.Conditions, capstan.ApplicationSetCondition{Type: conditionType, Status: status})
	}
	return *appSet
}

func TestApplicationSetTableColumns(t *testing.T) {
	table, err := tableConvertor(t).ConvertToTable(context.Background(), &capstan.ApplicationSet{}, nil)
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	got := registrytest.ColumnNames(table)
	if want := []string{"Name", "Status", "Age"}; !reflect.DeepEqual(got, want) {
		t.Errorf("columns = %v, want %v", got, want)
	}
}

func TestApplicationSetTableRows(t *testing.T) {
	const (
		isTrue  = capstan.ApplicationSetConditionStatusTrue
		isFalse = capstan.ApplicationSetConditionStatusFalse
	)
	upToDate := withConditions("up-to-date", map[capstan.ApplicationSetConditionType]capstan.ApplicationSetConditionStatus{
		capstan.ApplicationSetConditionParametersGenerated: isTrue,
		capstan.ApplicationSetConditionResourcesUpToDate:   isTrue,
		capstan.ApplicationSetConditionErrorOccurred:       isFalse,
	})
	failing := withConditions("failing", map[capstan.ApplicationSetConditionType]capstan.ApplicationSetConditionStatus{
		capstan.ApplicationSetConditionResourcesUpToDate: isTrue,
		capstan.ApplicationSetConditionErrorOccurred:     isTrue,
	})
	rollingOut := withConditions("rolling-out", map[capstan.ApplicationSetConditionType]capstan.ApplicationSetConditionStatus{
		capstan.ApplicationSetConditionResourcesUpToDate:  isTrue,
		capstan.ApplicationSetConditionRolloutProgressing: isTrue,
	})
	generated := withConditions("generated", map[capstan.ApplicationSetConditionType]capstan.ApplicationSetConditionStatus{
		capstan.ApplicationSetConditionParametersGenerated: isTrue,
		capstan.ApplicationSetConditionResourcesUpToDate:   isFalse,
	})
	unobserved := withConditions("new", nil)
	tests := []struct {
		name         string
		obj          runtime.Object
		options      runtime.Object
		wantHeaders  bool
		wantRows     [][]interface{}
		wantVersion  string
		wantContinue string
	}{
		{name: "an up-to-date applicationset prints ResourcesUpToDate", obj: &upToDate, wantHeaders: true,
			wantRows: [][]interface{}{{"up-to-date", "ResourcesUpToDate", "5d"}}},
		{name: "a true ErrorOccurred wins over every other condition", obj: &failing, wantHeaders: true,
			wantRows: [][]interface{}{{"failing", "ErrorOccurred", "5d"}}},
		{name: "a progressing rollout wins over ResourcesUpToDate", obj: &rollingOut, wantHeaders: true,
			wantRows: [][]interface{}{{"rolling-out", "RolloutProgressing", "5d"}}},
		{name: "false conditions are skipped", obj: &generated, wantHeaders: true,
			wantRows: [][]interface{}{{"generated", "ParametersGenerated", "5d"}}},
		{name: "an applicationset without conditions prints Unknown", obj: &unobserved, wantHeaders: true,
			wantRows: [][]interface{}{{"new", "Unknown", "5d"}}},
		{
			name: "a list prints one row per item and keeps resourceVersion and continue",
			obj: &capstan.ApplicationSetList{
				ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "next-page"},
				Items:    []capstan.ApplicationSet{upToDate, unobserved},
			},
			wantHeaders:  true,
			wantRows:     [][]interface{}{{"up-to-date", "ResourcesUpToDate", "5d"}, {"new", "Unknown", "5d"}},
			wantVersion:  "42",
			wantContinue: "next-page",
		},
		{name: "noHeaders leaves out the column definitions", obj: &upToDate, options: &metav1.TableOptions{NoHeaders: true},
			wantRows: [][]interface{}{{"up-to-date", "ResourcesUpToDate", "5d"}}},
	}
	convertor := tableConvertor(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, err := convertor.ConvertToTable(context.Background(), tt.obj, tt.options)
			if err != nil {
				t.Fatalf("convert: %v", err)
			}
			if got := len(table.ColumnDefinitions) > 0; got != tt.wantHeaders {
				t.Errorf("has column definitions = %v, want %v", got, tt.wantHeaders)
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
