package application_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/registry/capstan/application"
	"capstan.dev/capstan/pkg/registry/capstan/registrytest"
	"capstan.dev/capstan/pkg/scheme"
)

// tableConvertor is the table convertor of the applications storage, built
// without a storage backend.
func tableConvertor(t *testing.T) rest.TableConvertor {
	t.Helper()
	storage, err := application.NewStorage(scheme.Scheme, registrytest.NewTableOnlyRESTOptions("applications"), nil, application.Access{})
	if err != nil {
		t.Fatalf("applications storage: %v", err)
	}
	return storage.Application
}

// fiveDaysOld is a creation time that prints as an age of 5d.
var fiveDaysOld = metav1.NewTime(time.Now().Add(-5 * 24 * time.Hour))

// printedApplication is an Application whose every column has a value.
func printedApplication(name string) capstan.Application {
	app := validApplication(name)
	app.CreationTimestamp = fiveDaysOld
	app.Spec.Project = "team-a"
	app.Status.Sync = capstan.SyncStatus{Status: capstan.SyncStatusCodeSynced, Revision: "abc123"}
	app.Status.Health.Status = capstan.HealthStatusHealthy
	return *app
}

func TestApplicationTableColumns(t *testing.T) {
	table, err := tableConvertor(t).ConvertToTable(context.Background(), &capstan.Application{}, nil)
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	type column struct {
		Name     string
		Priority int32
	}
	want := []column{{"Name", 0}, {"Sync Status", 0}, {"Health Status", 0}, {"Revision", 1}, {"Project", 1}, {"Age", 0}}
	var got []column
	for _, definition := range table.ColumnDefinitions {
		got = append(got, column{definition.Name, definition.Priority})
		if definition.Type != "string" || definition.Description == "" {
			t.Errorf("column %q has type %q and description %q, want a described string", definition.Name, definition.Type, definition.Description)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("columns = %v, want %v", got, want)
	}
}

func TestApplicationTableRows(t *testing.T) {
	synced := printedApplication("guestbook")
	unobserved := *validApplication("new")
	unobserved.CreationTimestamp = fiveDaysOld
	tests := []struct {
		name         string
		obj          runtime.Object
		options      runtime.Object
		wantHeaders  bool
		wantRows     [][]interface{}
		wantVersion  string
		wantContinue string
	}{
		{
			name:        "an application prints its sync and health status, revision, project and age",
			obj:         &synced,
			wantHeaders: true,
			wantRows:    [][]interface{}{{"guestbook", "Synced", "Healthy", "abc123", "team-a", "5d"}},
		},
		{
			name:        "an application without status prints empty cells",
			obj:         &unobserved,
			wantHeaders: true,
			wantRows:    [][]interface{}{{"new", "", "", "", "default", "5d"}},
		},
		{
			name: "a list prints one row per item and keeps resourceVersion and continue",
			obj: &capstan.ApplicationList{
				ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "next-page"},
				Items:    []capstan.Application{synced, unobserved},
			},
			wantHeaders: true,
			wantRows: [][]interface{}{
				{"guestbook", "Synced", "Healthy", "abc123", "team-a", "5d"},
				{"new", "", "", "", "default", "5d"},
			},
			wantVersion:  "42",
			wantContinue: "next-page",
		},
		{
			name:     "noHeaders leaves out the column definitions",
			obj:      &synced,
			options:  &metav1.TableOptions{NoHeaders: true},
			wantRows: [][]interface{}{{"guestbook", "Synced", "Healthy", "abc123", "team-a", "5d"}},
		},
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

func TestApplicationTableRefusesOtherKinds(t *testing.T) {
	if _, err := tableConvertor(t).ConvertToTable(context.Background(), &capstan.AppProject{}, nil); err == nil {
		t.Errorf("converting an AppProject succeeded, want an error")
	}
}
