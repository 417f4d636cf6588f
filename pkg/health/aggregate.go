package health

import (
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// maxCauses bounds how many resources the aggregated message names.
const maxCauses = 3

// ResourceHealth is one managed resource as an application's health sees it.
type ResourceHealth struct {
	// Group, Kind, Namespace and Name identify the resource.
	Group, Kind, Namespace, Name string
	// Health is the resource's health, nil when its kind has none.
	Health *v1alpha1.HealthStatus
	// Missing is true when the resource is in the target state but not live.
	Missing bool
	// Hook is true for hooks, Skip hooks and resources with unrecognised hook
	// types: they do not count in the application's health at all.
	Hook bool
	// IgnoreHealthCheck is true when the live resource carries
	// argocd.argoproj.io/ignore-healthcheck: "true".
	IgnoreHealthCheck bool
	// SelfReference is true for the application's own object, which an
	// application that manages itself must not count.
	SelfReference bool
}

// NewResourceHealth describes a managed resource from its live and target
// objects (either may be nil, not both) and the health Assess gave the live
// one. SelfReference is left for the caller, which knows the application.
func NewResourceHealth(live, target *unstructured.Unstructured, health *v1alpha1.HealthStatus) ResourceHealth {
	identity := live
	if identity == nil {
		identity = target
	}
	resource := ResourceHealth{Health: health, Missing: live == nil}
	if identity != nil {
		gk := groupKind(identity.Object)
		resource.Group, resource.Kind = gk.Group, gk.Kind
		resource.Namespace, resource.Name = identity.GetNamespace(), identity.GetName()
	}
	resource.Hook = IsSkipHook(target) || IsHook(target) || IsHook(live)
	if live != nil {
		resource.IgnoreHealthCheck = annotation(live.Object, AnnotationIgnoreHealthCheck) == annotationTrue
	}
	return resource
}

// Aggregate computes an application's health from its managed resources as
// Argo CD (3.4 and later) does: the worst health of the resources that count,
// starting from Healthy. Hooks do not count at all. Resources that are
// missing, ignored by annotation, the application's self-reference, without
// health, or child Applications that are Missing or Unknown are not
// aggregated. If the application has resources but none is live, it is
// Missing. When the result is not Healthy the message names the resources
// that caused it, at most three.
func Aggregate(resources []ResourceHealth) v1alpha1.HealthStatus {
	status, rank := v1alpha1.HealthStatusHealthy, 0
	var worst causes
	hasResources, hasLive := false, false
	for i := range resources {
		resource := &resources[i]
		if resource.Hook {
			continue
		}
		hasResources = true
		if resource.Missing {
			continue
		}
		hasLive = true
		if resource.IgnoreHealthCheck || resource.SelfReference || resource.Health == nil {
			continue
		}
		code := resource.Health.Status
		if isApplication(resource.Group, resource.Kind) &&
			(code == v1alpha1.HealthStatusMissing || code == v1alpha1.HealthStatusUnknown) {
			continue
		}
		switch codeRank := healthOrder(code); {
		case codeRank > rank:
			status, rank = code, codeRank
			worst = causes{}
			worst.add(i)
		case codeRank == rank && rank > 0:
			worst.add(i)
		}
	}
	if hasResources && !hasLive {
		status = v1alpha1.HealthStatusMissing
		worst = causes{}
		for i := range resources {
			if !resources[i].Hook {
				worst.add(i)
			}
		}
	}
	if status == v1alpha1.HealthStatusHealthy {
		return v1alpha1.HealthStatus{Status: status}
	}
	return v1alpha1.HealthStatus{Status: status, Message: worst.message(resources)}
}

// causes remembers the first resources that caused the aggregated health and
// how many there were, without growing a list on every watch event.
type causes struct {
	first [maxCauses]int
	count int
}

// add records the resource at index i.
func (c *causes) add(i int) {
	if c.count < maxCauses {
		c.first[c.count] = i
	}
	c.count++
}

// message names the causes as
// "Caused by <group>/<Kind>:<namespace>/<name>, ... and N more", the
// resource notation of Argo CD's tracking id.
func (c *causes) message(resources []ResourceHealth) string {
	if c.count == 0 {
		return ""
	}
	var message strings.Builder
	message.WriteString("Caused by ")
	for n, i := range c.first[:min(c.count, maxCauses)] {
		if n > 0 {
			message.WriteString(", ")
		}
		resource := &resources[i]
		for _, part := range [...]string{resource.Group, "/", resource.Kind, ":", resource.Namespace, "/", resource.Name} {
			message.WriteString(part)
		}
	}
	if c.count > maxCauses {
		message.WriteString(" and ")
		message.WriteString(strconv.Itoa(c.count - maxCauses))
		message.WriteString(" more")
	}
	return message.String()
}

// isApplication reports whether a group/kind is an Argo CD or Capstan
// Application.
func isApplication(group, kind string) bool {
	return kind == "Application" && (group == "argoproj.io" || group == v1alpha1.GroupName)
}
