package compare

import (
	"strings"
	"testing"

	"capstan.dev/capstan/pkg/diff"
)

func TestInvalidSystemRuleFailsOnlyTheComparisonsOfWhatItSelects(t *testing.T) {
	comparer := &Comparer{SystemRules: diff.ParseSystemRules(map[string]string{
		"resource.customizations.ignoreDifferences.apps_Deployment": "jsonPointers:\n- spec/replicas\n",
	})}
	configMaps := byKey(newObject("v1", "ConfigMap", "web", "settings"))
	deployments := byKey(newObject("apps/v1", "Deployment", "web", "api"))

	if err := comparer.invalidSystemRule(configMaps, nil); err != nil {
		t.Errorf("an Application without Deployments is compared: %v", err)
	}
	err := comparer.invalidSystemRule(configMaps, deployments)
	if err == nil || !strings.Contains(err.Error(), "resource.customizations.ignoreDifferences.apps_Deployment") {
		t.Errorf("an Application with a Deployment fails naming the key, got %v", err)
	}
	if err := comparer.invalidSystemRule(nil); err != nil {
		t.Errorf("nothing compared, nothing failed: %v", err)
	}
}
