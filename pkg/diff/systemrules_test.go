package diff

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestParseSystemRules(t *testing.T) {
	rules := ParseSystemRules(map[string]string{
		"resource.customizations.ignoreDifferences.admissionregistration.k8s.io_MutatingWebhookConfiguration": "jqPathExpressions:\n- .webhooks[]?.clientConfig.caBundle\n",
		"resource.customizations.ignoreDifferences.Service":                                                   "jsonPointers:\n- /spec/clusterIP\n",
		"resource.customizations.ignoreDifferences.all":                                                       "managedFieldsManagers:\n- kube-controller-manager\n",
		"resource.customizations.health.apps_Deployment":                                                      "not a comparison setting",
		"url": "https://argocd.example.com",
	})
	want := []v1alpha1.ResourceIgnoreDifferences{
		{Group: "", Kind: "Service", JSONPointers: []string{"/spec/clusterIP"}},
		{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration", JQPathExpressions: []string{".webhooks[]?.clientConfig.caBundle"}},
		{Group: "*", Kind: "*", ManagedFieldsManagers: []string{"kube-controller-manager"}},
	}
	if !reflect.DeepEqual(rules.Rules, want) || len(rules.Invalid) != 0 {
		t.Errorf("group_Kind, Kind and all keys become rules, other keys are skipped:\n got %+v\nwant %+v\ninvalid %v", rules.Rules, want, rules.Invalid)
	}
}

func TestParseSystemRulesReportsInvalidEntriesByKey(t *testing.T) {
	tests := []struct {
		name, key, value string
		group, kind      string
		message          string
	}{
		{"bad YAML", "resource.customizations.ignoreDifferences.apps_Deployment", "jsonPointers: [", "apps", "Deployment", "resource.customizations.ignoreDifferences.apps_Deployment"},
		{"unknown field", "resource.customizations.ignoreDifferences.apps_Deployment", "jsonPointer:\n- /spec\n", "apps", "Deployment", "unknown field"},
		{"bad pointer", "resource.customizations.ignoreDifferences.Service", "jsonPointers:\n- spec/clusterIP\n", "", "Service", `jsonPointer "spec/clusterIP"`},
		{"bad jq", "resource.customizations.ignoreDifferences.Service", "jqPathExpressions:\n- .spec[\n", "", "Service", `jqPathExpression ".spec["`},
		{"bad key", "resource.customizations.ignoreDifferences.a_b_c", "jsonPointers:\n- /spec\n", "*", "*", "must end in <group>_<Kind>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := ParseSystemRules(map[string]string{tt.key: tt.value})
			if len(rules.Rules) != 0 || len(rules.Invalid) != 1 {
				t.Fatalf("rules %v, invalid %v", rules.Rules, rules.Invalid)
			}
			invalid := rules.Invalid[0]
			if invalid.Group != tt.group || invalid.Kind != tt.kind || !strings.Contains(invalid.Err.Error(), tt.message) ||
				!strings.Contains(invalid.Err.Error(), tt.key) {
				t.Errorf("got %s/%s %q, want %s/%s naming the key and %q", invalid.Group, invalid.Kind, invalid.Err, tt.group, tt.kind, tt.message)
			}
		})
	}
}

func TestIgnoreAggregatedRoles(t *testing.T) {
	rules := ParseSystemRules(map[string]string{CompareOptionsKey: "ignoreAggregatedRoles: true\nignoreResourceStatusField: all\n"})
	if len(rules.Invalid) != 0 {
		t.Fatal(rules.Invalid)
	}
	ignore := NewIgnoreRules(0, rules.Rules)
	aggregated := object(t, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {rbac.example.com/aggregate-to-monitoring: "true"}}]
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
`)
	plain := object(t, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
`)
	for _, tt := range []struct {
		role      string
		wantRules bool
	}{{"aggregated", false}, {"plain", true}} {
		role := map[string]*unstructured.Unstructured{"aggregated": aggregated, "plain": plain}[tt.role]
		if err := ignore.Apply(context.Background(), role); err != nil {
			t.Fatal(err)
		}
		if _, found := role.Object["rules"]; found != tt.wantRules {
			t.Errorf("%s ClusterRole: rules kept %v, want %v", tt.role, found, tt.wantRules)
		}
	}
}
