package health

import (
	"encoding/json"
	"fmt"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// hpaConditionsAnnotation carries the conditions of an autoscaling/v1
// HorizontalPodAutoscaler, whose status has no conditions field.
const hpaConditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions"

// hpaWaiting is the health of an autoscaler without a decisive condition.
const hpaWaiting = "Waiting to Autoscale"

// hpaCondition is one autoscaler condition, from status or the v1 annotation.
type hpaCondition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// hpaDegraded reports whether a condition says the autoscaler cannot read
// its target's scale or its metrics.
func hpaDegraded(condition hpaCondition) bool {
	switch condition.Type {
	case "AbleToScale":
		switch condition.Reason {
		case "FailedGetScale", "FailedUpdateScale":
			return true
		}
	case "ScalingActive":
		switch condition.Reason {
		case "FailedGetResourceMetric", "FailedGetObjectMetric", "FailedGetPodsMetric",
			"FailedGetExternalMetric", "FailedComputeMetricsReplicas", "InvalidSelector":
			return true
		}
	}
	return false
}

// hpaHealth is Argo CD's check for autoscaling/v2 (and v2beta1, v2beta2)
// autoscalers, whose conditions are in status.
func hpaHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	items := r.list(obj, "status", "conditions")
	conditions := make([]hpaCondition, 0, len(items))
	for _, item := range items {
		condition, _ := item.(map[string]any)
		conditions = append(conditions, hpaCondition{
			Type:    r.str(condition, "type"),
			Status:  r.str(condition, "status"),
			Reason:  r.str(condition, "reason"),
			Message: r.str(condition, "message"),
		})
	}
	return hpaConditionsHealth(conditions)
}

// hpaV1Health is Argo CD's check for autoscaling/v1 autoscalers, whose
// conditions are a JSON list in an annotation.
func hpaV1Health(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	encoded := annotation(obj, hpaConditionsAnnotation)
	if encoded == "" {
		return newHealth(v1alpha1.HealthStatusProgressing, hpaWaiting)
	}
	var conditions []hpaCondition
	if err := json.Unmarshal([]byte(encoded), &conditions); err != nil {
		if r.err == nil {
			r.err = fmt.Errorf("annotation %s: %w", hpaConditionsAnnotation, err)
		}
		return nil
	}
	return hpaConditionsHealth(conditions)
}

// hpaConditionsHealth takes the first condition, in order, that decides:
// one reporting a failure to scale or to read metrics is Degraded, one
// saying the autoscaler is able to scale or is limited is Healthy; with
// neither the autoscaler is Progressing. Argo CD walks the list the same
// way, so an AbleToScale=True before a failed metric is Healthy.
func hpaConditionsHealth(conditions []hpaCondition) *v1alpha1.HealthStatus {
	for _, condition := range conditions {
		if hpaDegraded(condition) {
			return newHealth(v1alpha1.HealthStatusDegraded, condition.Message)
		}
		if (condition.Type == "AbleToScale" || condition.Type == "ScalingLimited") && condition.Status == conditionTrue {
			return newHealth(v1alpha1.HealthStatusHealthy, condition.Message)
		}
	}
	return newHealth(v1alpha1.HealthStatusProgressing, hpaWaiting)
}
