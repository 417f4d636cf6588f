package health

import (
	"strings"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Condition statuses as controllers write them.
const (
	conditionFalse   = "False"
	conditionUnknown = "Unknown"
)

// condition is one entry of a conditions list, read without conversion.
type condition struct {
	Type, Status, Reason, Message string
	LastTransitionTime            string
	// hasMessage and hasReason tell a missing field from an empty one:
	// Argo CD's scripts fall back on a missing message only.
	hasMessage, hasReason bool
	// ObservedGeneration is set when hasObservedGeneration.
	ObservedGeneration    int64
	hasObservedGeneration bool
}

// conditions reads the conditions list at path (status.conditions when
// path is empty).
func (r *fieldReader) conditions(obj map[string]any, path ...string) []condition {
	if len(path) == 0 {
		path = []string{"status", "conditions"}
	}
	items := r.list(obj, path...)
	out := make([]condition, 0, len(items))
	for _, item := range items {
		entry, ok := item.(map[string]any)
		if !ok {
			r.fail(path, item, "list of objects")
			continue
		}
		c := condition{Type: r.str(entry, "type"), Status: r.str(entry, "status"), LastTransitionTime: r.str(entry, "lastTransitionTime")}
		c.Reason, c.hasReason = r.optionalString(entry, "reason")
		c.Message, c.hasMessage = r.optionalString(entry, "message")
		c.ObservedGeneration, c.hasObservedGeneration = r.integer(entry, "observedGeneration")
		out = append(out, c)
	}
	return out
}

// optionalString returns the string at path and whether it is set.
func (r *fieldReader) optionalString(m map[string]any, path ...string) (string, bool) {
	if _, ok := r.lookup(m, path...); !ok {
		return "", false
	}
	return r.str(m, path...), true
}

// messageOr returns the condition's message, or fallback when it has none.
func (c condition) messageOr(fallback string) string {
	if c.hasMessage {
		return c.Message
	}
	return fallback
}

// findType returns the first condition of a type, or nil.
func findType(conditions []condition, conditionType string) *condition {
	for i := range conditions {
		if conditions[i].Type == conditionType {
			return &conditions[i]
		}
	}
	return nil
}

// conditionCase maps a condition to a health when its type, status and
// reason match. An empty Status or Reason matches any; NotReason excludes
// one reason. An empty Message takes the condition's own message.
type conditionCase struct {
	Type, Status, Reason, NotReason string
	Health                          v1alpha1.HealthStatusCode
	Message                         string
	// EmptyMessage reports no message at all instead of the condition's.
	EmptyMessage bool
}

func (c conditionCase) matches(cond condition) bool {
	return cond.Type == c.Type &&
		(c.Status == "" || cond.Status == c.Status) &&
		(c.Reason == "" || cond.Reason == c.Reason) &&
		(c.NotReason == "" || cond.Reason != c.NotReason)
}

func (c conditionCase) health(cond condition) *v1alpha1.HealthStatus {
	switch {
	case c.EmptyMessage:
		return newHealth(c.Health, "")
	case c.Message != "":
		return newHealth(c.Health, c.Message)
	}
	return newHealth(c.Health, cond.Message)
}

// conditionRule is the most common shape of Argo CD's checks for custom
// resources: each pass walks status.conditions in order and the first
// condition matching one of the pass's cases decides; when none does, the
// resource is Progressing with the waiting message.
type conditionRule struct {
	passes  [][]conditionCase
	waiting string
}

func (rule conditionRule) check(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	conditions := r.conditions(obj)
	for _, pass := range rule.passes {
		for _, cond := range conditions {
			for _, c := range pass {
				if c.matches(cond) {
					return c.health(cond)
				}
			}
		}
	}
	return newHealth(v1alpha1.HealthStatusProgressing, rule.waiting)
}

// readyRule is Ready=False Degraded, Ready=True Healthy, both with the
// condition's message, else Progressing with the waiting message.
func readyRule(waiting string) conditionRule {
	return conditionRule{waiting: waiting, passes: [][]conditionCase{{
		{Type: "Ready", Status: conditionFalse, Health: v1alpha1.HealthStatusDegraded},
		{Type: "Ready", Status: conditionTrue, Health: v1alpha1.HealthStatusHealthy},
	}}}
}

// phaseRule maps status.phase to a health, as many operators report their
// resources. Missing or empty phases wait; unlisted phases take other.
type phaseRule struct {
	field   []string
	phases  map[string]phaseHealth
	waiting string
	// other is the health of an unlisted phase; the phase is its message.
	other v1alpha1.HealthStatusCode
}

// phaseHealth is the health of one phase; an empty message is the phase
// itself, and messageField, when set, is read first.
type phaseHealth struct {
	status       v1alpha1.HealthStatusCode
	message      string
	messageField []string
}

func (rule phaseRule) check(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	field := rule.field
	if field == nil {
		field = []string{"status", "phase"}
	}
	phase := r.str(obj, field...)
	if phase == "" {
		return newHealth(v1alpha1.HealthStatusProgressing, rule.waiting)
	}
	known, ok := rule.phases[phase]
	if !ok {
		return newHealth(rule.other, phase)
	}
	if known.messageField != nil {
		if message, set := r.optionalString(obj, known.messageField...); set {
			return newHealth(known.status, message)
		}
	}
	if known.message != "" {
		return newHealth(known.status, known.message)
	}
	return newHealth(known.status, phase)
}

// finalizersMessage is Argo CD's message for a custom resource being
// deleted: which finalizers hold it.
func finalizersMessage(obj map[string]any) string {
	metadata, _ := obj["metadata"].(map[string]any)
	finalizers, _ := metadata[finalizersField].([]any)
	names := make([]string, 0, len(finalizers))
	for _, finalizer := range finalizers {
		if name, ok := finalizer.(string); ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "Pending deletion"
	}
	return "Pending deletion; blocked by finalizers: " + strings.Join(names, ", ")
}
