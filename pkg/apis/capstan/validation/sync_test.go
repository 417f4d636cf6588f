package validation

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan"
)

func TestValidateSyncOptions(t *testing.T) {
	cases := []struct {
		name string
		opts []string
		want []wantErr
	}{
		{name: "every option of the brief is valid", opts: []string{
			"CreateNamespace=true", "PrunePropagationPolicy=foreground", "PruneLast=true", "Replace=true",
			"ServerSideApply=true", "FailOnSharedResource=true", "RespectIgnoreDifferences=true",
		}},
		{name: "the remaining Argo CD options are valid", opts: []string{
			"Prune=confirm", "Delete=false", "Validate=false", "SkipDryRunOnMissingResource=true",
			"ApplyOutOfSyncOnly=true", "ClientSideApplyMigration=false", "Force=true",
		}},
		{name: "repeating the same option is valid", opts: []string{"CreateNamespace=true", "CreateNamespace=true"}},
		{name: "an option without = is refused", opts: []string{"CreateNamespace"},
			want: []wantErr{{field.ErrorTypeInvalid, "syncOptions[0]"}}},
		{name: "an option with an empty key is refused", opts: []string{"=true"},
			want: []wantErr{{field.ErrorTypeInvalid, "syncOptions[0]"}}},
		{name: "an unknown key is refused with the list of known ones", opts: []string{"Frobnicate=true"},
			want: []wantErr{{field.ErrorTypeNotSupported, "syncOptions[0]"}}},
		{name: "a key in the wrong case is refused with a hint", opts: []string{"createNamespace=true"},
			want: []wantErr{{field.ErrorTypeInvalid, "syncOptions[0]"}}},
		{name: "a value the option does not accept is refused", opts: []string{"PrunePropagationPolicy=later"},
			want: []wantErr{{field.ErrorTypeNotSupported, "syncOptions[0]"}}},
		{name: "a boolean option spelled True is refused", opts: []string{"PruneLast=True"},
			want: []wantErr{{field.ErrorTypeNotSupported, "syncOptions[0]"}}},
		{name: "two different values for one key are refused", opts: []string{"Prune=false", "Prune=confirm"},
			want: []wantErr{{field.ErrorTypeInvalid, "syncOptions[1]"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertErrors(t, ValidateSyncOptions(tc.opts, field.NewPath("syncOptions")), tc.want)
		})
	}
}

func TestValidateSyncOptionsListsValidKeys(t *testing.T) {
	errs := ValidateSyncOptions([]string{"Frobnicate=true"}, field.NewPath("syncOptions"))
	if len(errs) != 1 {
		t.Fatalf("got %v", errs)
	}
	for _, key := range []string{"CreateNamespace", "PruneLast", "ServerSideApply"} {
		if !strings.Contains(errs[0].Error(), key) {
			t.Errorf("error %q does not list %s", errs[0].Error(), key)
		}
	}
}

func TestValidateRetryStrategy(t *testing.T) {
	factor := func(v int64) *int64 { return &v }
	cases := []struct {
		name  string
		retry *capstan.RetryStrategy
		want  []wantErr
	}{
		{name: "no retry is valid"},
		{name: "a retry without backoff is valid", retry: &capstan.RetryStrategy{Limit: -1}},
		{name: "Go durations are valid",
			retry: &capstan.RetryStrategy{Limit: 5, Backoff: &capstan.Backoff{Duration: "5s", Factor: factor(2), MaxDuration: "3m"}}},
		{name: "plain numbers of seconds are valid",
			retry: &capstan.RetryStrategy{Backoff: &capstan.Backoff{Duration: "30", MaxDuration: "600"}}},
		{name: "an unparsable duration is refused",
			retry: &capstan.RetryStrategy{Backoff: &capstan.Backoff{Duration: "five seconds"}},
			want:  []wantErr{{field.ErrorTypeInvalid, "retry.backoff.duration"}}},
		{name: "a negative maxDuration is refused",
			retry: &capstan.RetryStrategy{Backoff: &capstan.Backoff{MaxDuration: "-1m"}},
			want:  []wantErr{{field.ErrorTypeInvalid, "retry.backoff.maxDuration"}}},
		{name: "a factor below 1 is refused",
			retry: &capstan.RetryStrategy{Backoff: &capstan.Backoff{Factor: factor(0)}},
			want:  []wantErr{{field.ErrorTypeInvalid, "retry.backoff.factor"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertErrors(t, ValidateRetryStrategy(tc.retry, field.NewPath("retry")), tc.want)
		})
	}
}

func TestValidateIgnoreDifferences(t *testing.T) {
	cases := []struct {
		name  string
		rules capstan.IgnoreDifferences
		want  []wantErr
	}{
		{name: "the brief's rules are valid", rules: capstan.IgnoreDifferences{
			{Group: "apps", Kind: "Deployment", JSONPointers: []string{"/spec/replicas"}},
			{Group: "", Kind: "Service", JQPathExpressions: []string{".spec.clusterIP"}},
		}},
		{name: "escaped pointers, select expressions and managers are valid", rules: capstan.IgnoreDifferences{{
			Group: "*", Kind: "*", Name: "web", Namespace: "prod",
			JSONPointers:          []string{"/metadata/annotations/example.com~1revision", "/data/a~0b"},
			JQPathExpressions:     []string{`.spec.template.spec.initContainers[] | select(.name == "istio-init")`},
			ManagedFieldsManagers: []string{"kube-controller-manager"},
		}}},
		{name: "a rule without kind is refused", rules: capstan.IgnoreDifferences{{Group: "apps"}},
			want: []wantErr{{field.ErrorTypeRequired, "ignoreDifferences[0].kind"}}},
		{name: "a pointer without leading / is refused",
			rules: capstan.IgnoreDifferences{{Kind: "Deployment", JSONPointers: []string{"spec/replicas"}}},
			want:  []wantErr{{field.ErrorTypeInvalid, "ignoreDifferences[0].jsonPointers[0]"}}},
		{name: "a pointer with a bad escape is refused",
			rules: capstan.IgnoreDifferences{{Kind: "Deployment", JSONPointers: []string{"/spec/a~2b"}}},
			want:  []wantErr{{field.ErrorTypeInvalid, "ignoreDifferences[0].jsonPointers[0]"}}},
		{name: "a jq expression that does not parse is refused",
			rules: capstan.IgnoreDifferences{{Kind: "Service", JQPathExpressions: []string{".spec.ports[", ".spec.clusterIP"}}},
			want:  []wantErr{{field.ErrorTypeInvalid, "ignoreDifferences[0].jqPathExpressions[0]"}}},
		{name: "a jq expression calling an unknown function is refused",
			rules: capstan.IgnoreDifferences{{Kind: "Service", JQPathExpressions: []string{".spec | nosuchfunc"}}},
			want:  []wantErr{{field.ErrorTypeInvalid, "ignoreDifferences[0].jqPathExpressions[0]"}}},
		{name: "an empty managed fields manager is refused",
			rules: capstan.IgnoreDifferences{{Kind: "Service", ManagedFieldsManagers: []string{""}}},
			want:  []wantErr{{field.ErrorTypeInvalid, "ignoreDifferences[0].managedFieldsManagers[0]"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertErrors(t, ValidateIgnoreDifferences(tc.rules, field.NewPath("ignoreDifferences")), tc.want)
		})
	}
}

func TestValidateApplicationSyncRequest(t *testing.T) {
	cases := []struct {
		name string
		spec capstan.ApplicationSyncRequestSpec
		want []wantErr
	}{
		{name: "an empty request is valid"},
		{name: "a full request is valid", spec: capstan.ApplicationSyncRequestSpec{
			Revisions: []string{"main", "v1.2.0"}, SourcePositions: []int64{1, 2}, Prune: true, DryRun: true,
			Strategy:    &capstan.SyncStrategy{Hook: &capstan.SyncStrategyHook{SyncStrategyApply: capstan.SyncStrategyApply{Force: true}}},
			Resources:   []capstan.SyncOperationResource{{Group: "apps", Kind: "Deployment", Name: "web"}},
			SyncOptions: capstan.SyncOptions{"ServerSideApply=true"},
			Retry:       &capstan.RetryStrategy{Limit: 2},
		}},
		{name: "revision and revisions together are refused",
			spec: capstan.ApplicationSyncRequestSpec{Revision: "main", Revisions: []string{"main"}},
			want: []wantErr{{field.ErrorTypeForbidden, "spec.revisions"}}},
		{name: "source positions that do not match revisions are refused",
			spec: capstan.ApplicationSyncRequestSpec{Revisions: []string{"main"}, SourcePositions: []int64{1, 2}},
			want: []wantErr{{field.ErrorTypeInvalid, "spec.sourcePositions"}}},
		{name: "a zero or repeated source position is refused",
			spec: capstan.ApplicationSyncRequestSpec{Revisions: []string{"a", "b", "c"}, SourcePositions: []int64{0, 2, 2}},
			want: []wantErr{
				{field.ErrorTypeInvalid, "spec.sourcePositions[0]"},
				{field.ErrorTypeDuplicate, "spec.sourcePositions[2]"},
			}},
		{name: "both strategies are refused",
			spec: capstan.ApplicationSyncRequestSpec{Strategy: &capstan.SyncStrategy{Apply: &capstan.SyncStrategyApply{}, Hook: &capstan.SyncStrategyHook{}}},
			want: []wantErr{{field.ErrorTypeForbidden, "spec.strategy.hook"}}},
		{name: "a resource without name is refused",
			spec: capstan.ApplicationSyncRequestSpec{Resources: []capstan.SyncOperationResource{{Kind: "Deployment"}}},
			want: []wantErr{{field.ErrorTypeRequired, "spec.resources[0].name"}}},
		{name: "bad sync options and retry are refused",
			spec: capstan.ApplicationSyncRequestSpec{
				SyncOptions: capstan.SyncOptions{"Replace=yes"},
				Retry:       &capstan.RetryStrategy{Backoff: &capstan.Backoff{MaxDuration: "soon"}},
			},
			want: []wantErr{
				{field.ErrorTypeNotSupported, "spec.syncOptions[0]"},
				{field.ErrorTypeInvalid, "spec.retry.backoff.maxDuration"},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &capstan.ApplicationSyncRequest{Spec: tc.spec}
			assertErrors(t, ValidateApplicationSyncRequest(req), tc.want)
		})
	}
}
