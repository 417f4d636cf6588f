package health

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// live returns a live resource with the given health code.
func live(group, kind, name string, code v1alpha1.HealthStatusCode) ResourceHealth {
	return ResourceHealth{Group: group, Kind: kind, Namespace: "shop", Name: name, Health: &v1alpha1.HealthStatus{Status: code}}
}

// missing returns a resource of the target state that is not live.
func missing(group, kind, name string) ResourceHealth {
	return ResourceHealth{Group: group, Kind: kind, Namespace: "shop", Name: name, Missing: true}
}

// with applies changes to a resource.
func with(resource ResourceHealth, change func(*ResourceHealth)) ResourceHealth {
	change(&resource)
	return resource
}

func TestIsWorse(t *testing.T) {
	order := []v1alpha1.HealthStatusCode{
		v1alpha1.HealthStatusHealthy, v1alpha1.HealthStatusSuspended, v1alpha1.HealthStatusProgressing,
		v1alpha1.HealthStatusMissing, v1alpha1.HealthStatusDegraded, v1alpha1.HealthStatusUnknown,
	}
	for i, better := range order {
		for _, worse := range order[i+1:] {
			t.Run(string(worse)+" is worse than "+string(better), func(t *testing.T) {
				if !IsWorse(better, worse) || IsWorse(worse, better) {
					t.Errorf("IsWorse(%s, %s) = %v, IsWorse(%s, %s) = %v", better, worse, IsWorse(better, worse),
						worse, better, IsWorse(worse, better))
				}
			})
		}
	}
	t.Run("an unrecognised code ranks as Healthy", func(t *testing.T) {
		if IsWorse(v1alpha1.HealthStatusHealthy, "Sleepy") || !IsWorse("Sleepy", v1alpha1.HealthStatusSuspended) {
			t.Error("an unrecognised code is not ranked as Healthy")
		}
	})
}

func TestAggregate(t *testing.T) {
	deployment := live("apps", "Deployment", "web", v1alpha1.HealthStatusHealthy)
	cases := []struct {
		name      string
		resources []ResourceHealth
		status    v1alpha1.HealthStatusCode
		message   string
	}{
		{name: "an application without resources is healthy", status: v1alpha1.HealthStatusHealthy},
		{
			name:      "healthy resources make a healthy application",
			resources: []ResourceHealth{deployment, live("", "Service", "web", v1alpha1.HealthStatusHealthy)},
			status:    v1alpha1.HealthStatusHealthy,
		},
		{
			name: "the worst resource decides",
			resources: []ResourceHealth{
				deployment,
				live("", "Pod", "web-1", v1alpha1.HealthStatusProgressing),
				live("apps", "StatefulSet", "db", v1alpha1.HealthStatusDegraded),
				live("", "PersistentVolumeClaim", "data", v1alpha1.HealthStatusSuspended),
			},
			status:  v1alpha1.HealthStatusDegraded,
			message: "Caused by apps/StatefulSet:shop/db",
		},
		{
			name:      "a paused Deployment suspends the application",
			resources: []ResourceHealth{deployment, live("apps", "Deployment", "admin", v1alpha1.HealthStatusSuspended)},
			status:    v1alpha1.HealthStatusSuspended,
			message:   "Caused by apps/Deployment:shop/admin",
		},
		{
			name:      "unknown is worse than degraded",
			resources: []ResourceHealth{live("apps", "Deployment", "a", v1alpha1.HealthStatusDegraded), live("x.io", "Thing", "b", v1alpha1.HealthStatusUnknown)},
			status:    v1alpha1.HealthStatusUnknown,
			message:   "Caused by x.io/Thing:shop/b",
		},
		{
			name: "resources tied for worst are all named, at most three",
			resources: []ResourceHealth{
				live("", "Pod", "a", v1alpha1.HealthStatusDegraded),
				live("", "Pod", "b", v1alpha1.HealthStatusProgressing),
				live("", "Pod", "c", v1alpha1.HealthStatusDegraded),
				live("", "Pod", "d", v1alpha1.HealthStatusDegraded),
				live("", "Pod", "e", v1alpha1.HealthStatusDegraded),
				live("", "Pod", "f", v1alpha1.HealthStatusDegraded),
			},
			status:  v1alpha1.HealthStatusDegraded,
			message: "Caused by /Pod:shop/a, /Pod:shop/c, /Pod:shop/d and 2 more",
		},
		{
			name:      "a missing resource does not affect the application when others are live",
			resources: []ResourceHealth{deployment, missing("", "Service", "web")},
			status:    v1alpha1.HealthStatusHealthy,
		},
		{
			name:      "an application whose resources are all missing is missing",
			resources: []ResourceHealth{missing("apps", "Deployment", "web"), missing("", "Service", "web")},
			status:    v1alpha1.HealthStatusMissing,
			message:   "Caused by apps/Deployment:shop/web, /Service:shop/web",
		},
		{
			name: "hooks do not count, live or missing",
			resources: []ResourceHealth{
				deployment,
				with(live("batch", "Job", "migrate", v1alpha1.HealthStatusDegraded), func(r *ResourceHealth) { r.Hook = true }),
				with(missing("batch", "Job", "smoke"), func(r *ResourceHealth) { r.Hook = true }),
			},
			status: v1alpha1.HealthStatusHealthy,
		},
		{
			name: "an application with only missing resources besides live hooks is missing",
			resources: []ResourceHealth{
				missing("apps", "Deployment", "web"),
				with(live("batch", "Job", "migrate", v1alpha1.HealthStatusHealthy), func(r *ResourceHealth) { r.Hook = true }),
			},
			status:  v1alpha1.HealthStatusMissing,
			message: "Caused by apps/Deployment:shop/web",
		},
		{
			name: "a resource that ignores health checks is not aggregated but is live",
			resources: []ResourceHealth{
				missing("apps", "Deployment", "web"),
				with(live("batch", "CronJob", "report", v1alpha1.HealthStatusDegraded), func(r *ResourceHealth) { r.IgnoreHealthCheck = true }),
			},
			status: v1alpha1.HealthStatusHealthy,
		},
		{
			name: "the application's own object is not aggregated",
			resources: []ResourceHealth{
				deployment,
				with(live(v1alpha1.GroupName, "Application", "self", v1alpha1.HealthStatusDegraded), func(r *ResourceHealth) { r.SelfReference = true }),
			},
			status: v1alpha1.HealthStatusHealthy,
		},
		{
			name:      "a live resource without health is not aggregated but is live",
			resources: []ResourceHealth{missing("apps", "Deployment", "web"), {Kind: "ConfigMap", Namespace: "shop", Name: "settings"}},
			status:    v1alpha1.HealthStatusHealthy,
		},
		{
			name: "child Applications that are missing or unknown are not aggregated",
			resources: []ResourceHealth{
				live(v1alpha1.GroupName, "Application", "child-a", v1alpha1.HealthStatusUnknown),
				live("argoproj.io", "Application", "child-b", v1alpha1.HealthStatusMissing),
			},
			status: v1alpha1.HealthStatusHealthy,
		},
		{
			name:      "a degraded child Application degrades its parent",
			resources: []ResourceHealth{live(v1alpha1.GroupName, "Application", "child", v1alpha1.HealthStatusDegraded)},
			status:    v1alpha1.HealthStatusDegraded,
			message:   "Caused by capstan.dev/Application:shop/child",
		},
		{
			name:      "a live resource a rule calls missing is aggregated as missing",
			resources: []ResourceHealth{deployment, live("x.io", "Claim", "bucket", v1alpha1.HealthStatusMissing)},
			status:    v1alpha1.HealthStatusMissing,
			message:   "Caused by x.io/Claim:shop/bucket",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Aggregate(tc.resources)
			if got.Status != tc.status || got.Message != tc.message {
				t.Errorf("Aggregate = %s %q\n     want %s %q", got.Status, got.Message, tc.status, tc.message)
			}
		})
	}
}

func TestNewResourceHealth(t *testing.T) {
	object := func(kind string, annotations map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "batch/v1", "kind": kind,
			"metadata": map[string]any{"name": "migrate", "namespace": "shop", "annotations": annotations},
		}}
	}
	healthy := &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusHealthy}
	cases := []struct {
		name         string
		live, target *unstructured.Unstructured
		want         ResourceHealth
	}{
		{
			name: "a live resource is identified from the live object",
			live: object("Job", nil), target: object("Job", nil),
			want: ResourceHealth{Group: "batch", Kind: "Job", Namespace: "shop", Name: "migrate", Health: healthy},
		},
		{
			name:   "a resource only in the target state is missing",
			target: object("Job", nil),
			want:   ResourceHealth{Group: "batch", Kind: "Job", Namespace: "shop", Name: "migrate", Health: healthy, Missing: true},
		},
		{
			name: "a live hook is a hook",
			live: object("Job", map[string]any{AnnotationHook: "PreSync"}),
			want: ResourceHealth{Group: "batch", Kind: "Job", Namespace: "shop", Name: "migrate", Health: healthy, Hook: true},
		},
		{
			name:   "a Skip target is left out like a hook",
			target: object("Job", map[string]any{AnnotationHook: "Skip"}),
			want:   ResourceHealth{Group: "batch", Kind: "Job", Namespace: "shop", Name: "migrate", Health: healthy, Missing: true, Hook: true},
		},
		{
			name: "a live object can ask to be ignored by health",
			live: object("CronJob", map[string]any{AnnotationIgnoreHealthCheck: "true"}),
			want: ResourceHealth{Group: "batch", Kind: "CronJob", Namespace: "shop", Name: "migrate", Health: healthy, IgnoreHealthCheck: true},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := NewResourceHealth(tc.live, tc.target, healthy); got != tc.want {
				t.Errorf("NewResourceHealth = %+v\n              want %+v", got, tc.want)
			}
		})
	}
}
