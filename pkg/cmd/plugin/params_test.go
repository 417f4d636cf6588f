package plugin

import (
	"bytes"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestGoldenParamsTable(t *testing.T) {
	region := "eu"
	app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: v1alpha1.ApplicationSpec{Sources: []v1alpha1.ApplicationSource{
		{RepoURL: "https://git.example.com/charts.git", Path: "chart"},
		{RepoURL: "https://git.example.com/web.git", Path: "web", Plugin: &v1alpha1.ApplicationSourcePlugin{Parameters: v1alpha1.ApplicationSourcePluginParameters{
			{Name: "region", String: &region},
			{Name: "files", OptionalArray: &v1alpha1.OptionalArray{Array: []string{"a.yaml", "b.yaml"}}},
			{Name: "labels", OptionalMap: &v1alpha1.OptionalMap{Map: map[string]string{"tier": "front", "app": "web"}}},
		}}},
	}}}
	params := &v1alpha1.ApplicationParameters{Sources: []v1alpha1.ApplicationSourceParameters{{Index: 1, Plugin: "helmfile", Parameters: []v1alpha1.PluginParameterAnnouncement{
		{Name: "region", Title: "Region", Required: true, String: "us"},
		{Name: "files", CollectionType: "array", Array: []string{"values.yaml"}},
		{Name: "labels", CollectionType: "map", Map: map[string]string{}},
		{Name: "replicas", ItemType: "number", String: "1"},
	}}}}
	var out bytes.Buffer
	if err := printParameters(&out, app, params); err != nil {
		t.Fatal(err)
	}
	golden(t, "params", out.Bytes())

	out.Reset()
	if err := printParameters(&out, app, &v1alpha1.ApplicationParameters{}); err != nil || out.String() != "application.capstan.dev/web has no config management plugin source\n" {
		t.Errorf("no plugin source: %q, %v", out.String(), err)
	}
}
