package compare

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

func withField(obj *unstructured.Unstructured, value interface{}, path ...string) *unstructured.Unstructured {
	if err := unstructured.SetNestedField(obj.Object, value, path...); err != nil {
		panic(err)
	}
	return obj
}

func containers(images ...string) []interface{} {
	var out []interface{}
	for _, image := range images {
		out = append(out, map[string]interface{}{"name": image, "image": image})
	}
	return out
}

func byKey(objs ...*unstructured.Unstructured) map[cluster.ResourceKey]*unstructured.Unstructured {
	out := map[cluster.ResourceKey]*unstructured.Unstructured{}
	for _, obj := range objs {
		out[cluster.KeyOf(obj)] = obj
	}
	return out
}

func TestSummaryImages(t *testing.T) {
	template := []string{"spec", "template", "spec", "containers"}
	targets := byKey(
		withField(newObject("apps/v1", "Deployment", "web", "api"), containers("api:2"), template...),
		withField(newObject("apps/v1", "StatefulSet", "web", "db"), containers("postgres:16"), template...),
		withField(withField(newObject("v1", "Pod", "web", "debug"), containers("busybox"), "spec", "containers"),
			containers("init:1"), "spec", "initContainers"),
		withField(newObject("batch/v1", "CronJob", "web", "backup"), containers("backup:1", "api:2"),
			"spec", "jobTemplate", "spec", "template", "spec", "containers"),
		withField(newObject("v1", "ConfigMap", "web", "settings"), containers("not-an-image"), template...),
	)
	live := byKey(withField(newObject("apps/v1", "Deployment", "web", "api"), containers("api:1"), template...))

	got := summarize(newApp("apps", "guestbook"), targets, live).Images
	want := []string{"api:1", "api:2", "backup:1", "busybox", "init:1", "postgres:16"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("live templates win over targets, every workload kind counts, sorted and unique: got %v, want %v", got, want)
	}
}

func TestSummaryExternalURLs(t *testing.T) {
	rule := func(host string, paths ...string) interface{} {
		var items []interface{}
		for _, path := range paths {
			items = append(items, map[string]interface{}{"path": path})
		}
		return map[string]interface{}{"host": host, "http": map[string]interface{}{"paths": items}}
	}
	ingress := func(name string, rules []interface{}, tls []interface{}, lb string) *unstructured.Unstructured {
		obj := withField(newObject("networking.k8s.io/v1", "Ingress", "web", name), rules, "spec", "rules")
		if tls != nil {
			withField(obj, tls, "spec", "tls")
		}
		if lb != "" {
			withField(obj, []interface{}{map[string]interface{}{"ip": lb}}, "status", "loadBalancer", "ingress")
		}
		return obj
	}
	tests := []struct {
		name string
		obj  *unstructured.Unstructured
		want []string
	}{
		{"rules give http URLs per path, without a trailing star",
			ingress("plain", []interface{}{rule("shop.example.com", "/", "/api/*")}, nil, ""),
			[]string{"http://shop.example.com/", "http://shop.example.com/api/"}},
		{"a TLS secret makes them https",
			ingress("tls", []interface{}{rule("shop.example.com", "/")}, []interface{}{map[string]interface{}{"secretName": "cert"}}, ""),
			[]string{"https://shop.example.com/"}},
		{"a rule without host uses the load balancer address",
			ingress("nohost", []interface{}{rule("", "/")}, nil, "203.0.113.7"),
			[]string{"http://203.0.113.7/"}},
		{"a rule without host or load balancer gives nothing",
			ingress("pending", []interface{}{rule("", "/")}, nil, ""), nil},
		{"link annotations count on any kind",
			func() *unstructured.Unstructured {
				obj := newObject("v1", "Service", "web", "api")
				obj.SetAnnotations(map[string]string{"link.argocd.argoproj.io/external-link": "https://docs.example.com", "other": "x"})
				return obj
			}(),
			[]string{"https://docs.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(newApp("apps", "guestbook"), nil, byKey(tt.obj)).ExternalURLs
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("the Application's own link annotations count", func(t *testing.T) {
		app := newApp("apps", "guestbook")
		app.Annotations = map[string]string{"link.argocd.argoproj.io/dashboard": "https://grafana.example.com"}
		if got := summarize(app, nil, nil); !reflect.DeepEqual(got, v1alpha1.ApplicationSummary{ExternalURLs: []string{"https://grafana.example.com"}}) {
			t.Errorf("got %+v", got)
		}
	})
}
