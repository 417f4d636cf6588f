package application_test

import (
	"slices"
	"testing"

	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"capstan.dev/capstan/pkg/apis/capstan"
)

func TestListSelectsByLabelsAndFields(t *testing.T) {
	storage := newStorage(t)
	fixtures := []struct {
		name      string
		labels    map[string]string
		project   string
		server    string
		namespace string
		sync      capstan.SyncStatusCode
		health    capstan.HealthStatusCode
	}{
		{"web", map[string]string{"team": "web"}, "default", "https://kubernetes.default.svc", "web",
			capstan.SyncStatusCodeSynced, capstan.HealthStatusHealthy},
		{"api", map[string]string{"team": "api"}, "team-a", "https://kubernetes.default.svc", "api",
			capstan.SyncStatusCodeOutOfSync, capstan.HealthStatusHealthy},
		{"db", map[string]string{"team": "api", "tier": "data"}, "team-a", "https://prod.example.com", "api",
			capstan.SyncStatusCodeOutOfSync, capstan.HealthStatusDegraded},
	}
	for _, f := range fixtures {
		app := validApplication(f.name)
		app.Labels = f.labels
		app.Spec.Project = f.project
		app.Spec.Destination.Server = f.server
		app.Spec.Destination.Namespace = f.namespace
		app = createApplication(t, storage, app)
		app.Status.Sync.Status = f.sync
		app.Status.Health.Status = f.health
		if _, err := updateApplication(storage.Status, app, &metav1.UpdateOptions{}); err != nil {
			t.Fatalf("write the status of %s: %v", f.name, err)
		}
	}

	tests := []struct {
		name   string
		labels string
		fields string
		want   []string
	}{
		{name: "no selector lists every application", want: []string{"api", "db", "web"}},
		{name: "a label selector picks the labelled applications", labels: "team=api", want: []string{"api", "db"}},
		{name: "a set-based label selector picks by key", labels: "tier", want: []string{"db"}},
		{name: "spec.project selects by project", fields: "spec.project=team-a", want: []string{"api", "db"}},
		{name: "spec.destination.server selects by cluster", fields: "spec.destination.server=https://prod.example.com", want: []string{"db"}},
		{name: "spec.destination.namespace selects by namespace", fields: "spec.destination.namespace=web", want: []string{"web"}},
		{name: "status.sync.status selects by sync status", fields: "status.sync.status=OutOfSync", want: []string{"api", "db"}},
		{name: "status.health.status selects by health", fields: "status.health.status=Degraded", want: []string{"db"}},
		{name: "a negated field selector excludes", fields: "status.health.status!=Healthy", want: []string{"db"}},
		{name: "label and field selectors combine", labels: "team=api", fields: "status.health.status=Healthy", want: []string{"api"}},
		{name: "metadata.name selects one application", fields: "metadata.name=web", want: []string{"web"}},
		{name: "a selector that matches nothing lists nothing", fields: "spec.project=missing", want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			options := &metainternalversion.ListOptions{}
			if tt.labels != "" {
				selector, err := labels.Parse(tt.labels)
				if err != nil {
					t.Fatalf("parse label selector %q: %v", tt.labels, err)
				}
				options.LabelSelector = selector
			}
			if tt.fields != "" {
				selector, err := fields.ParseSelector(tt.fields)
				if err != nil {
					t.Fatalf("parse field selector %q: %v", tt.fields, err)
				}
				options.FieldSelector = selector
			}
			obj, err := storage.Application.List(requestContext(), options)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			got := []string{}
			for _, app := range obj.(*capstan.ApplicationList).Items {
				got = append(got, app.Name)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("listed %v, want %v", got, tt.want)
			}
		})
	}
}
