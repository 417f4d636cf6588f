package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// gatewayAPIChecks cover the Gateway API's gateways, classes, listener
// sets, routes and policies.
var gatewayAPIChecks = kinds("gateway.networking.k8s.io", map[string]check{
	"Gateway":          gatewayHealth,
	"GatewayClass":     gatewayClassHealth,
	"ListenerSet":      listenerSetHealth,
	"HTTPRoute":        routeHealth("HTTPRoute"),
	"GRPCRoute":        routeHealth("GRPCRoute"),
	"TLSRoute":         tlsRouteHealth,
	"BackendTLSPolicy": backendTLSPolicyHealth,
})

// failedCondition returns the first condition of a type that is False, with
// its message (or "Failed condition: <type>").
func failedCondition(conditions []condition, conditionType string) (string, bool) {
	for _, c := range conditions {
		if c.Type == conditionType && c.Status == conditionFalse {
			return c.messageOr("Failed condition: " + conditionType), true
		}
	}
	return "", false
}

// notProgrammed returns the message of the first Programmed condition that
// is not True, or fallback when it has none.
func notProgrammed(conditions []condition, fallback string) (string, bool) {
	for _, c := range conditions {
		if c.Type == "Programmed" && c.Status != conditionTrue {
			return c.messageOr(fallback), true
		}
	}
	return "", false
}

// acceptedAndResolved is Degraded when ResolvedRefs or Accepted is False
// and Progressing while not Programmed; prefix names where it was found.
func acceptedAndResolved(conditions []condition, prefix, programming string) *v1alpha1.HealthStatus {
	for _, conditionType := range []string{"ResolvedRefs", "Accepted"} {
		if message, failed := failedCondition(conditions, conditionType); failed {
			return newHealth(v1alpha1.HealthStatusDegraded, prefix+message)
		}
	}
	if message, progressing := notProgrammed(conditions, programming); progressing {
		return newHealth(v1alpha1.HealthStatusProgressing, prefix+message)
	}
	return nil
}

func gatewayHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if r.object(obj, "status") == nil {
		return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for Gateway status")
	}
	_, hasConditions := r.lookup(obj, "status", "conditions")
	if hasConditions {
		if health := acceptedAndResolved(r.conditions(obj), "", "Gateway is still being programmed"); health != nil {
			return health
		}
	}
	listeners := r.list(obj, "status", "listeners")
	for _, item := range listeners {
		listener, _ := item.(map[string]any)
		if _, ok := r.lookup(listener, "conditions"); !ok {
			continue
		}
		if health := acceptedAndResolved(r.conditions(listener, "conditions"), "Listener: ", "Listener is still being programmed"); health != nil {
			return health
		}
	}
	if hasConditions || len(listeners) > 0 {
		return newHealth(v1alpha1.HealthStatusHealthy, "Gateway is healthy")
	}
	return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for Gateway status")
}

// gatewayClassHealth follows the first Accepted condition of the current
// generation.
func gatewayClassHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	generation, hasGeneration := r.integer(obj, "metadata", "generation")
	for _, c := range r.conditions(obj) {
		if c.Type != "Accepted" || hasGeneration && c.hasObservedGeneration && c.ObservedGeneration != generation {
			continue
		}
		switch c.Status {
		case conditionTrue:
			return newHealth(v1alpha1.HealthStatusHealthy, c.messageOr("GatewayClass is accepted"))
		case conditionFalse:
			return newHealth(v1alpha1.HealthStatusDegraded, c.messageOr("GatewayClass is not accepted"))
		}
		return newHealth(v1alpha1.HealthStatusProgressing, c.messageOr("Waiting for GatewayClass status"))
	}
	return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for GatewayClass status")
}

// parentStatus is one entry of a route's status.parents (or a policy's
// status.ancestors): its name and conditions.
type parentStatus struct {
	name       string
	conditions []condition
	// hasConditions tells an absent list from an empty one.
	hasConditions bool
}

func (r *fieldReader) parents(obj map[string]any, field, refField string) []parentStatus {
	items := r.list(obj, "status", field)
	out := make([]parentStatus, 0, len(items))
	for _, item := range items {
		entry, _ := item.(map[string]any)
		_, hasConditions := r.lookup(entry, "conditions")
		out = append(out, parentStatus{
			name: r.str(entry, refField, "name"), conditions: r.conditions(entry, "conditions"), hasConditions: hasConditions,
		})
	}
	return out
}

// observesAny tells whether one of the parent's conditions was written for
// generation (or the object has no generation).
func (p parentStatus) observesAny(generation int64, hasGeneration bool) bool {
	if !hasGeneration {
		return true
	}
	for _, c := range p.conditions {
		if c.hasObservedGeneration && c.ObservedGeneration == generation {
			return true
		}
	}
	return false
}

// routeHealth: a parent of the current generation with ResolvedRefs or
// Accepted False is Degraded, one not Programmed Progressing; a route with
// a current parent is Healthy.
func routeHealth(kind string) check {
	return func(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
		generation, hasGeneration := r.integer(obj, "metadata", "generation")
		parents := r.parents(obj, "parents", "parentRef")
		for _, parent := range parents {
			if !parent.hasConditions || !parent.observesAny(generation, hasGeneration) {
				continue
			}
			if health := acceptedAndResolved(parent.conditions, "Parent "+parent.name+": ", "Route is still being programmed"); health != nil {
				return health
			}
		}
		for _, parent := range parents {
			if len(parent.conditions) > 0 && parent.observesAny(generation, hasGeneration) {
				return newHealth(v1alpha1.HealthStatusHealthy, kind+" is healthy")
			}
		}
		return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for "+kind+" status")
	}
}

// tlsRouteHealth is a route whose parents must not carry conditions of an
// older generation, and which is Healthy once a parent has both Accepted
// and ResolvedRefs True.
func tlsRouteHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	generation, hasGeneration := r.integer(obj, "metadata", "generation")
	healthy := false
	progressing, waiting := "", ""
	for _, parent := range r.parents(obj, "parents", "parentRef") {
		if len(parent.conditions) == 0 || staleConditions(parent.conditions, generation, hasGeneration) {
			continue
		}
		prefix := "Parent " + parent.name + ": "
		resolved, accepted, programmed := findType(parent.conditions, "ResolvedRefs"), findType(parent.conditions, "Accepted"), findType(parent.conditions, "Programmed")
		for _, c := range []*condition{resolved, accepted} {
			if c != nil && c.Status == conditionFalse {
				message := c.Message
				if message == "" {
					message = "Failed condition: " + c.Type
				}
				return newHealth(v1alpha1.HealthStatusDegraded, prefix+message)
			}
		}
		switch {
		case programmed != nil && programmed.Status != conditionTrue:
			if progressing == "" {
				progressing = prefix + programmed.messageOr("Route is still being programmed")
			}
		case accepted != nil && accepted.Status == conditionTrue && resolved != nil && resolved.Status == conditionTrue:
			healthy = true
		case waiting == "":
			waiting = prefix + "Waiting for TLSRoute conditions"
		}
	}
	switch {
	case progressing != "":
		return newHealth(v1alpha1.HealthStatusProgressing, progressing)
	case healthy:
		return newHealth(v1alpha1.HealthStatusHealthy, "TLSRoute is healthy")
	case waiting != "":
		return newHealth(v1alpha1.HealthStatusProgressing, waiting)
	}
	return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for TLSRoute status")
}

// staleConditions tells whether a condition was written for another
// generation than the object's.
func staleConditions(conditions []condition, generation int64, hasGeneration bool) bool {
	if !hasGeneration {
		return false
	}
	for _, c := range conditions {
		if c.hasObservedGeneration && c.ObservedGeneration != generation {
			return true
		}
	}
	return false
}

// listenerSetHealth waits for conditions of the current generation, then
// reads the set's and each listener's Accepted, Programmed, ResolvedRefs
// and Conflicted conditions.
func listenerSetHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	waiting := newHealth(v1alpha1.HealthStatusProgressing, "Waiting for ListenerSet status")
	if r.object(obj, "status") == nil {
		return waiting
	}
	generation, hasGeneration := r.integer(obj, "metadata", "generation")
	conditions := r.conditions(obj)
	if staleConditions(conditions, generation, hasGeneration) {
		return waiting
	}
	var programming *v1alpha1.HealthStatus
	for _, c := range conditions {
		if c.Type == "Accepted" && c.Status == conditionFalse {
			return newHealth(v1alpha1.HealthStatusDegraded, c.messageOr("Failed condition: Accepted"))
		}
		if c.Type == "Programmed" && c.Status != conditionTrue {
			programming = newHealth(v1alpha1.HealthStatusProgressing, c.messageOr("ListenerSet is still being programmed"))
		}
	}
	if programming != nil {
		return programming
	}
	listeners := r.list(obj, "status", "listeners")
	if len(listeners) == 0 {
		return waiting
	}
	for _, item := range listeners {
		listener, _ := item.(map[string]any)
		for _, c := range r.conditions(listener, "conditions") {
			switch {
			case (c.Type == "ResolvedRefs" || c.Type == "Accepted") && c.Status == conditionFalse:
				return newHealth(v1alpha1.HealthStatusDegraded, "Listener: "+c.messageOr("Failed condition: "+c.Type))
			case c.Type == "Conflicted" && c.Status == conditionTrue:
				return newHealth(v1alpha1.HealthStatusDegraded, "Listener: "+c.messageOr("Listener is conflicted"))
			case c.Type == "Programmed" && c.Status != conditionTrue:
				programming = newHealth(v1alpha1.HealthStatusProgressing, "Listener: "+c.messageOr("Listener is still being programmed"))
			}
		}
		if programming != nil {
			return programming
		}
	}
	return newHealth(v1alpha1.HealthStatusHealthy, "ListenerSet is healthy")
}

// backendTLSPolicyHealth waits until every ancestor reports the current
// generation; then, ignoring ancestors whose controller does not own the
// target (Accepted not True with reason TargetNotFound), Accepted or
// ResolvedRefs not True is Degraded and Accepted True Healthy.
func backendTLSPolicyHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	health := newHealth(v1alpha1.HealthStatusProgressing, "Waiting for BackendTLSPolicy status")
	ancestors := r.parents(obj, "ancestors", "ancestorRef")
	if generation, ok := r.integer(obj, "metadata", "generation"); ok {
		for _, ancestor := range ancestors {
			if staleConditions(ancestor.conditions, generation, true) {
				health.Message = "Waiting for Ancestor " + ancestor.name + " to update BackendTLSPolicy status"
				return health
			}
		}
	}
	for _, ancestor := range ancestors {
		if accepted := findType(ancestor.conditions, "Accepted"); accepted != nil && accepted.Status != conditionTrue && accepted.Reason == "TargetNotFound" {
			continue
		}
		for _, c := range ancestor.conditions {
			switch {
			case (c.Type == "Accepted" || c.Type == "ResolvedRefs") && c.Status != conditionTrue:
				return newHealth(v1alpha1.HealthStatusDegraded, "Ancestor "+ancestor.name+": "+c.Message)
			case c.Type == "Accepted":
				health = newHealth(v1alpha1.HealthStatusHealthy, "BackendTLSPolicy is healthy")
			}
		}
	}
	return health
}
