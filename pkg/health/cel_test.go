package health

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// newTestChecker builds a Checker from rules and fails on any invalid rule.
func newTestChecker(t *testing.T, opts Options) *Checker {
	t.Helper()
	checker, err := NewChecker(opts)
	if err != nil {
		t.Fatalf("NewChecker: %v", err)
	}
	return checker
}

func TestRulesOverrideBuiltins(t *testing.T) {
	checker := newTestChecker(t, Options{Rules: map[string]string{
		"apps_Deployment": `obj.spec.?paused.orValue(false)
			? {"status": "Degraded", "message": "paused deployments are not allowed in " + obj.metadata.namespace}
			: {}`,
		"resource.customizations.health.batch_Job": `{"status": "Healthy", "message": "jobs are fire and forget"}`,
		"Pod":                   `obj.status.phase == "Pending" ? {"status": "Suspended"} : {}`,
		"Service":               `null`,
		"*.example.com_Bucket":  `{"status": "Healthy", "message": "any example.com bucket"}`,
		"*_Bucket":              `{"status": "Degraded", "message": "a bucket of any group"}`,
		"*_Redis":               `{"status": "Progressing", "message": "redis of any group"}`,
		"cache.example.com_Foo": `{"status": "Healthy"}`,
		"apps_StatefulSet":      `{"status": "Fine"}`,
	}})
	runFixtures(t, checker, []fixtureCase{
		{
			name:    "a rule overrides the built-in Deployment check",
			fixture: "deployment/paused.yaml",
			status:  v1alpha1.HealthStatusDegraded, message: "paused deployments are not allowed in shop",
		},
		{
			name:    "a rule that returns an empty map leaves the built-in check in charge",
			fixture: "deployment/replicas-being-updated.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: "Waiting for rollout to finish: 1 out of 3 new replicas have been updated...",
		},
		{
			name:    "a key with Argo CD's ConfigMap prefix selects its kind",
			fixture: "job/failed.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "jobs are fire and forget",
		},
		{
			name:    "a key without group selects a core kind",
			fixture: "pod/pending.yaml",
			status:  v1alpha1.HealthStatusSuspended,
		},
		{
			name:    "a rule that returns null leaves the built-in check in charge",
			fixture: "service/load-balancer-pending.yaml",
			status:  v1alpha1.HealthStatusProgressing,
		},
		{
			name:    "the most specific wildcard rule wins",
			fixture: "kstatus/ready-false.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "any example.com bucket",
		},
		{
			name:    "a wildcard group matches any group",
			fixture: "kstatus/without-status.yaml",
			status:  v1alpha1.HealthStatusProgressing, message: "redis of any group",
		},
		{
			name:    "a status that is not a health code is unknown",
			fixture: "statefulset/healthy.yaml",
			status:  v1alpha1.HealthStatusUnknown, message: `health rule returned an invalid status "Fine"`,
		},
	})
}

func TestRuleCompileErrors(t *testing.T) {
	cases := []struct {
		name       string
		key        string
		expression string
		want       string
	}{
		{
			name:       "a syntax error names the rule, its group/kind and the position",
			key:        "apps_Deployment",
			expression: `{"status": obj.status.replicas > }`,
			want:       `health rule "apps_Deployment" for apps/Deployment: ERROR: apps_Deployment:1:34: Syntax error`,
		},
		{
			name:       "an undeclared variable names the position",
			key:        "Pod",
			expression: "{\"status\":\n  pod.status.phase}",
			want:       `health rule "Pod" for Pod: ERROR: Pod:2:3: undeclared reference to 'pod'`,
		},
		{
			name:       "an expression that cannot return a map is refused",
			key:        "batch_Job",
			expression: `"Healthy"`,
			want:       `health rule "batch_Job" for batch/Job: expression returns string, want a map with status and message`,
		},
		{
			name:       "a key without kind is refused",
			key:        "apps_",
			expression: `{}`,
			want:       `health rule "apps_" for apps/: key must be "<group>_<Kind>", or "<Kind>" for the core group`,
		},
		{
			name:       "a malformed wildcard pattern is refused",
			key:        "[example.com_Bucket",
			expression: `{}`,
			want:       `health rule "[example.com_Bucket" for [example.com/Bucket: pattern "[example.com": syntax error in pattern`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checker, err := NewChecker(Options{Rules: map[string]string{tc.key: tc.expression}})
			if err == nil {
				t.Fatal("NewChecker succeeded, want a compile error")
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error = %q\nwant prefix %q", err, tc.want)
			}
			var ruleErr *RuleError
			if !errors.As(err, &ruleErr) || ruleErr.Key != tc.key {
				t.Errorf("error %v is not a *RuleError for %q", err, tc.key)
			}
			if checker == nil {
				t.Fatal("NewChecker returned no Checker with the error")
			}
		})
	}
}

func TestBrokenRuleMakesItsKindUnknown(t *testing.T) {
	checker, err := NewChecker(Options{Rules: map[string]string{
		"apps_Deployment": `{"status": obj.status.replicas > }`,
		"Pod":             `{"status": "Degraded"}`,
	}})
	if err == nil {
		t.Fatal("NewChecker succeeded, want a compile error")
	}
	t.Run("the broken rule's kind is unknown with the compile error", func(t *testing.T) {
		health, assessErr := checker.Assess(loadFixture(t, "deployment/healthy.yaml"))
		if assessErr == nil {
			t.Fatal("Assess succeeded, want the compile error")
		}
		if health == nil || health.Status != v1alpha1.HealthStatusUnknown || !strings.Contains(health.Message, "Syntax error") {
			t.Errorf("health = %+v, want Unknown with the syntax error", health)
		}
	})
	t.Run("the valid rules still apply", func(t *testing.T) {
		health, _ := checker.Assess(loadFixture(t, "pod/running-ready.yaml"))
		assertHealth(t, health, v1alpha1.HealthStatusDegraded, "")
	})
}

func TestRuleRuntimeErrors(t *testing.T) {
	heavy := `[1,2,3,4,5,6,7,8,9,10].map(x, [1,2,3,4,5,6,7,8,9,10].map(y, x * y)).size() > 0
		? {"status": "Healthy"} : {"status": "Degraded"}`
	cases := []struct {
		name       string
		costLimit  uint64
		expression string
		status     v1alpha1.HealthStatusCode
		message    string
		wantErr    bool
	}{
		{
			name:       "a missing field is unknown with CEL's error",
			expression: `{"status": obj.status.phase}`,
			status:     v1alpha1.HealthStatusUnknown, message: `health rule "apps_Deployment": no such key: phase`,
			wantErr: true,
		},
		{
			name:       "a message that is not a string is unknown",
			expression: `{"status": "Healthy", "message": obj.spec.replicas}`,
			status:     v1alpha1.HealthStatusUnknown, message: `health rule "apps_Deployment": message is int, want string`,
			wantErr: true,
		},
		{
			name:       "a rule over its cost limit is unknown",
			costLimit:  50,
			expression: heavy,
			status:     v1alpha1.HealthStatusUnknown,
			message:    `health rule "apps_Deployment": operation cancelled: actual cost limit exceeded`,
			wantErr:    true,
		},
		{
			name:       "the same rule runs within the default cost limit",
			expression: heavy,
			status:     v1alpha1.HealthStatusHealthy,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checker := newTestChecker(t, Options{
				Rules:     map[string]string{"apps_Deployment": tc.expression},
				CostLimit: tc.costLimit,
			})
			health, err := checker.Assess(loadFixture(t, "deployment/healthy.yaml"))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Assess error = %v, want error %v", err, tc.wantErr)
			}
			assertHealth(t, health, tc.status, tc.message)
		})
	}
}

func TestRulesConcurrently(t *testing.T) {
	checker := newTestChecker(t, Options{Rules: map[string]string{
		"*.example.com_*": `{"status": "Healthy", "message": obj.kind}`,
	}})
	fixtures := []string{"kstatus/ready-true.yaml", "kstatus/reconciling.yaml", "kstatus/without-status.yaml"}
	var wg sync.WaitGroup
	for i := range 8 {
		obj := loadFixture(t, fixtures[i%len(fixtures)])
		wg.Go(func() {
			for range 50 {
				if health, err := checker.Assess(obj); err != nil || health.Message != obj.GetKind() {
					t.Errorf("Assess(%s) = %+v, %v", obj.GetKind(), health, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
