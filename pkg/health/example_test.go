package health_test

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/health"
)

// A user rule in CEL overrides the built-in check for its group/kind; the
// application's health is the worst of its resources.
func Example() {
	checker, err := health.NewChecker(health.Options{Rules: map[string]string{
		"*.example.com_Bucket": `obj.status.?phase.orValue("") == "Ready"
			? {"status": "Healthy"}
			: {"status": "Progressing", "message": "bucket " + obj.metadata.name + " is being created"}`,
	}})
	if err != nil {
		panic(err)
	}
	bucket := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "s3.example.com/v1", "kind": "Bucket",
		"metadata": map[string]any{"name": "assets", "namespace": "shop"},
		"status":   map[string]any{"phase": "Creating"},
	}}
	pausedDeployment := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec":     map[string]any{"paused": true},
	}}
	var resources []health.ResourceHealth
	for _, obj := range []*unstructured.Unstructured{bucket, pausedDeployment} {
		resourceHealth, err := checker.Assess(obj)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %s %q\n", obj.GetKind(), resourceHealth.Status, resourceHealth.Message)
		resources = append(resources, health.NewResourceHealth(obj, obj, resourceHealth))
	}
	app := health.Aggregate(resources)
	fmt.Printf("application: %s %q\n", app.Status, app.Message)
	// Output:
	// Bucket: Progressing "bucket assets is being created"
	// Deployment: Suspended "Deployment is paused"
	// application: Progressing "Caused by s3.example.com/Bucket:shop/assets"
}
