package application

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/registry/capstan/table"
)

// columns are Argo CD's Application printer columns; priority 1 shows in -o wide.
var columns = []metav1.TableColumnDefinition{
	{Name: "Sync Status", Type: "string", Description: "Whether the live state matches the target state."},
	{Name: "Health Status", Type: "string", Description: "Aggregated health of the managed resources."},
	{Name: "Revision", Type: "string", Priority: 1, Description: "Revision the target state was last compared at."},
	{Name: "Project", Type: "string", Priority: 1, Description: "AppProject the Application belongs to."},
}

func newTableConvertor() table.Convertor {
	return table.NewConvertor(columns, row)
}

func row(obj runtime.Object) ([]interface{}, error) {
	app, ok := obj.(*capstan.Application)
	if !ok {
		return nil, fmt.Errorf("not an Application: %T", obj)
	}
	return []interface{}{
		string(app.Status.Sync.Status),
		string(app.Status.Health.Status),
		app.Status.Sync.Revision,
		app.Spec.Project,
	}, nil
}
