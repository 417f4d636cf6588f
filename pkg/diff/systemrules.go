package diff

import (
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/diff/ignorepath"
)

// Keys of Argo CD's argocd-cm that hold system-level comparison settings.
const (
	// IgnoreDifferencesKeyPrefix starts the keys
	// resource.customizations.ignoreDifferences.<group>_<Kind> (or .<Kind>
	// for the core group, or .all for every kind).
	IgnoreDifferencesKeyPrefix = "resource.customizations.ignoreDifferences."
	// CompareOptionsKey holds resource.compareoptions.
	CompareOptionsKey = "resource.compareoptions"
)

// SystemRules are the ignore rules every Application's comparison uses in
// addition to its own ignoreDifferences, read from an argocd-cm ConfigMap.
type SystemRules struct {
	// Rules are the valid rules.
	Rules []v1alpha1.ResourceIgnoreDifferences
	// Invalid are the entries that could not be read. Comparisons of the
	// resources they select fail with a message naming the key, rather than
	// showing differences the rule was meant to hide.
	Invalid []InvalidRule
}

// InvalidRule is a system-level entry that could not be read.
type InvalidRule struct {
	// Group and Kind are those the entry's key selects ("*" for all, or
	// when the key itself cannot be read).
	Group, Kind string
	// Err names the key and says what is wrong.
	Err error
}

// Selects reports whether the invalid entry would have applied to group/kind.
func (r InvalidRule) Selects(group, kind string) bool {
	return (r.Group == "*" || r.Group == group) && (r.Kind == "*" || r.Kind == kind)
}

// ignoreDifferencesEntry is the YAML value of an ignoreDifferences key
// (Argo CD's OverrideIgnoreDiff).
type ignoreDifferencesEntry struct {
	JSONPointers          []string `json:"jsonPointers,omitempty"`
	JQPathExpressions     []string `json:"jqPathExpressions,omitempty"`
	ManagedFieldsManagers []string `json:"managedFieldsManagers,omitempty"`
}

// compareOptions is the YAML value of resource.compareoptions. Status is
// always ignored (Argo CD's default ignoreResourceStatusField: all), so only
// ignoreAggregatedRoles changes anything.
type compareOptions struct {
	IgnoreAggregatedRoles     bool   `json:"ignoreAggregatedRoles,omitempty"`
	IgnoreResourceStatusField string `json:"ignoreResourceStatusField,omitempty"`
}

// aggregatedRoleRules ignores the rules of ClusterRoles filled in by
// aggregation, as Argo CD's ignoreAggregatedRoles does.
var aggregatedRoleRules = v1alpha1.ResourceIgnoreDifferences{
	Group: "rbac.authorization.k8s.io", Kind: "ClusterRole",
	JQPathExpressions: []string{"select(.aggregationRule != null) | .rules"},
}

// ParseSystemRules reads the system-level ignore rules of an argocd-cm
// ConfigMap's data: every resource.customizations.ignoreDifferences.* key and
// resource.compareoptions. Other keys are not comparison settings and are
// skipped. It never fails: entries that cannot be read are returned in Invalid.
func ParseSystemRules(data map[string]string) SystemRules {
	var out SystemRules
	keys := make([]string, 0, len(data))
	for key := range data {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		switch {
		case strings.HasPrefix(key, IgnoreDifferencesKeyPrefix):
			rule, err := parseIgnoreDifferences(key, data[key])
			if err != nil {
				group, kind, keyErr := groupKindOf(strings.TrimPrefix(key, IgnoreDifferencesKeyPrefix))
				if keyErr != nil {
					group, kind = "*", "*"
				}
				out.Invalid = append(out.Invalid, InvalidRule{Group: group, Kind: kind, Err: err})
				continue
			}
			out.Rules = append(out.Rules, rule)
		case key == CompareOptionsKey:
			var options compareOptions
			if err := yaml.Unmarshal([]byte(data[key]), &options); err != nil {
				out.Invalid = append(out.Invalid, InvalidRule{Group: "*", Kind: "*", Err: fmt.Errorf("%s: %w", key, err)})
				continue
			}
			if options.IgnoreAggregatedRoles {
				out.Rules = append(out.Rules, aggregatedRoleRules)
			}
		}
	}
	return out
}

func parseIgnoreDifferences(key, value string) (v1alpha1.ResourceIgnoreDifferences, error) {
	group, kind, err := groupKindOf(strings.TrimPrefix(key, IgnoreDifferencesKeyPrefix))
	if err != nil {
		return v1alpha1.ResourceIgnoreDifferences{}, fmt.Errorf("%s: %w", key, err)
	}
	var entry ignoreDifferencesEntry
	if err := yaml.UnmarshalStrict([]byte(value), &entry); err != nil {
		return v1alpha1.ResourceIgnoreDifferences{}, fmt.Errorf("%s: %w", key, err)
	}
	for _, pointer := range entry.JSONPointers {
		if !strings.HasPrefix(pointer, "/") || pointer == "/" {
			return v1alpha1.ResourceIgnoreDifferences{}, fmt.Errorf("%s: jsonPointer %q must start with / and name a field", key, pointer)
		}
	}
	for _, expr := range entry.JQPathExpressions {
		if _, err := ignorepath.CompileJQ(expr); err != nil {
			return v1alpha1.ResourceIgnoreDifferences{}, fmt.Errorf("%s: jqPathExpression %q: %w", key, expr, err)
		}
	}
	return v1alpha1.ResourceIgnoreDifferences{
		Group: group, Kind: kind,
		JSONPointers:          entry.JSONPointers,
		JQPathExpressions:     entry.JQPathExpressions,
		ManagedFieldsManagers: entry.ManagedFieldsManagers,
	}, nil
}

// groupKindOf reads Argo CD's "<group>_<Kind>", "<Kind>" (core group) or "all".
func groupKindOf(groupKind string) (group, kind string, err error) {
	if groupKind == "all" {
		return "*", "*", nil
	}
	parts := strings.Split(groupKind, "_")
	switch {
	case len(parts) == 2 && parts[1] != "":
		return parts[0], parts[1], nil
	case len(parts) == 1 && groupKind != "":
		return "", groupKind, nil
	}
	return "", "", fmt.Errorf("the key must end in <group>_<Kind>, <Kind> or all, not %q", groupKind)
}
