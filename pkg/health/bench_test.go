package health

import (
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// typedConversions are what Argo CD's checks start with for some fixtures:
// converting the object to its typed struct. Assess is compared with that
// conversion alone, measured in the same run.
var typedConversions = map[string]func() any{
	"deployment/healthy.yaml": func() any { return &appsv1.Deployment{} },
	"pod/running-ready.yaml":  func() any { return &corev1.Pod{} },
}

// typedConversionNsPerOp times n conversions of obj to a new typed value.
func typedConversionNsPerOp(b *testing.B, obj map[string]any, newTyped func() any, n int) float64 {
	b.Helper()
	start := time.Now()
	for range n {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, newTyped()); err != nil {
			b.Fatal(err)
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// BenchmarkAssess measures Assess on the kinds a watch delivers most. For
// kinds Argo CD checks on a typed struct it also reports the ratio of Assess
// to that conversion alone, measured in the same run.
func BenchmarkAssess(b *testing.B) {
	cases := []struct {
		name    string
		fixture string
		rules   map[string]string
	}{
		{name: "Deployment", fixture: "deployment/healthy.yaml"},
		{name: "Pod", fixture: "pod/running-ready.yaml"},
		{name: "CRD via kstatus", fixture: "kstatus/ready-true.yaml"},
		{
			name:    "CRD via CEL rule",
			fixture: "kstatus/ready-true.yaml",
			rules: map[string]string{"*.example.com_Bucket": `obj.status.conditions.exists(c, c.type == "Ready" && c.status == "True")
				? {"status": "Healthy"} : {"status": "Progressing", "message": "not ready"}`},
		},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			checker, err := NewChecker(Options{Rules: tc.rules})
			if err != nil {
				b.Fatal(err)
			}
			obj := loadFixture(b, tc.fixture)
			b.ReportAllocs()
			for b.Loop() {
				health, err := checker.Assess(obj)
				if err != nil || health == nil || health.Status != v1alpha1.HealthStatusHealthy {
					b.Fatalf("Assess = %+v, %v", health, err)
				}
			}
			// b.Loop has stopped the timer: the reference is measured untimed.
			if newTyped, ok := typedConversions[tc.fixture]; ok && b.N > 1 {
				perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				b.ReportMetric(perOp/typedConversionNsPerOp(b, obj.Object, newTyped, min(b.N, 2000)), "x-typed-conversion")
			}
		})
	}
}

// BenchmarkAggregate measures aggregating an application of 1,000 resources
// with a mix of healths, hooks and missing resources.
func BenchmarkAggregate(b *testing.B) {
	codes := []v1alpha1.HealthStatusCode{
		v1alpha1.HealthStatusHealthy, v1alpha1.HealthStatusHealthy, v1alpha1.HealthStatusHealthy,
		v1alpha1.HealthStatusProgressing, v1alpha1.HealthStatusSuspended, v1alpha1.HealthStatusDegraded,
	}
	resources := make([]ResourceHealth, 1000)
	for i := range resources {
		resources[i] = ResourceHealth{
			Group: "apps", Kind: "Deployment", Namespace: "shop", Name: fmt.Sprintf("web-%d", i),
			Health:  &v1alpha1.HealthStatus{Status: codes[i%len(codes)]},
			Missing: i%97 == 0,
			Hook:    i%89 == 0,
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if health := Aggregate(resources); health.Status != v1alpha1.HealthStatusDegraded {
			b.Fatalf("Aggregate = %+v", health)
		}
	}
}
