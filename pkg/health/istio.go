package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// istioChecks cover the Istio operator's installations.
var istioChecks = kinds("install.istio.io", map[string]check{
	"IstioOperator": istioOperatorHealth,
})

// istioOperatorStatuses map the operator's status, written as a name or as
// its enum number.
var istioOperatorStatuses = map[string]phaseHealth{
	"NONE":        {status: v1alpha1.HealthStatusUnknown, message: "Component is not present."},
	"UPDATING":    {status: v1alpha1.HealthStatusProgressing, message: "Component is being updated to a different version."},
	"RECONCILING": {status: v1alpha1.HealthStatusProgressing, message: "Controller has started but not yet completed reconciliation loop for the component."},
	"HEALTHY":     {status: v1alpha1.HealthStatusHealthy, message: "Component is healthy."},
	"ERROR":       {status: v1alpha1.HealthStatusDegraded, message: "Component is in an error state."},
}

var istioOperatorStatusNames = []string{"NONE", "UPDATING", "RECONCILING", "HEALTHY", "ERROR"}

func istioOperatorHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	value, _ := r.lookup(obj, "status", "status")
	name, isName := value.(string)
	if !isName && value != nil {
		if number, ok := r.integer(obj, "status", "status"); ok && number >= 0 && int(number) < len(istioOperatorStatusNames) {
			name = istioOperatorStatusNames[number]
		}
	}
	if known, ok := istioOperatorStatuses[name]; ok {
		return newHealth(known.status, known.message)
	}
	return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for Istio Control Plane")
}

// apiExtensionsChecks give CustomResourceDefinitions a health: Degraded
// when their names are not accepted, they are not established (other than
// while the API server installs them) or their schema is not structural.
var apiExtensionsChecks = kinds("apiextensions.k8s.io", map[string]check{
	"CustomResourceDefinition": customResourceDefinitionHealth,
})

func customResourceDefinitionHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	conditions := r.conditions(obj)
	if len(conditions) == 0 {
		return newHealth(v1alpha1.HealthStatusProgressing, "Status conditions not found")
	}
	var terminating, namesRejected, established, installing, violations bool
	message := ""
	for _, c := range conditions {
		if c.Type == "Established" && c.Status == conditionFalse && c.Reason == "Installing" {
			installing = true
		}
		switch {
		case c.Type == "Terminating" && c.Status == conditionTrue:
			terminating, message = true, c.Message
		case c.Type == "NamesAccepted" && c.Status == conditionFalse:
			namesRejected, message = true, c.Message
		case c.Type == "Established" && c.Status == conditionTrue:
			established, message = true, c.Message
		case c.Type == "NonStructuralSchema" && c.Status == conditionTrue:
			violations, message = true, c.Message
		}
	}
	switch {
	case terminating:
		return newHealth(v1alpha1.HealthStatusProgressing, "CRD is terminating: "+message)
	case namesRejected:
		return newHealth(v1alpha1.HealthStatusDegraded, "CRD names have not been accepted: "+message)
	case !established && installing:
		// The API server establishes a new CRD a moment after accepting
		// its names: a sync that just created it must wait, not fail.
		return newHealth(v1alpha1.HealthStatusProgressing, "CRD is not established")
	case !established:
		return newHealth(v1alpha1.HealthStatusDegraded, "CRD is not established")
	case violations:
		return newHealth(v1alpha1.HealthStatusDegraded, "Schema violations found: "+message)
	}
	return newHealth(v1alpha1.HealthStatusHealthy, "CRD is healthy")
}
