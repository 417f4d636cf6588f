package health

import (
	"strconv"
	"strings"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// olmChecks cover the Operator Lifecycle Manager's subscriptions.
var olmChecks = kinds("operators.coreos.com", map[string]check{
	"Subscription": subscriptionHealth,
})

const subscriptionPending = "An install plan for a subscription is pending installation"

// subscriptionHealth is Degraded when a catalog source is unhealthy or an
// install plan failed, is missing or cannot be resolved; Progressing while
// an install plan is pending; else Healthy. Healthy and Degraded list every
// condition as "<n>: <type> | <status>".
func subscriptionHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if _, ok := r.lookup(obj, "status", "conditions"); !ok {
		return newHealth(v1alpha1.HealthStatusProgressing, subscriptionPending)
	}
	degraded, pending := 0, 0
	var listing strings.Builder
	for i, c := range r.conditions(obj) {
		listing.WriteString(strconv.Itoa(i+1) + ": " + c.Type + " | " + c.Status + "\n")
		switch {
		case c.Type == "InstallPlanPending" && c.Status == conditionTrue:
			pending++
		case c.Type == "InstallPlanMissing" && c.Reason != "ReferencedInstallPlanNotFound":
			degraded++
		case (c.Type == "CatalogSourcesUnhealthy" || c.Type == "InstallPlanFailed" || c.Type == "ResolutionFailed") && c.Status == conditionTrue:
			degraded++
		}
	}
	switch {
	case degraded == 0 && pending == 0:
		return newHealth(v1alpha1.HealthStatusHealthy, listing.String())
	case degraded == 0:
		return newHealth(v1alpha1.HealthStatusProgressing, subscriptionPending)
	}
	return newHealth(v1alpha1.HealthStatusDegraded, listing.String())
}
