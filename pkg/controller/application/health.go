package application

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// assess returns the health of a live object; a missing object is Missing.
func (c *Controller) assess(live *unstructured.Unstructured) *v1alpha1.HealthStatus {
	if live == nil {
		return &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusMissing}
	}
	if c.health == nil {
		return nil
	}
	health, err := c.health.Assess(live)
	if err != nil {
		return &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusUnknown, Message: err.Error()}
	}
	return health
}
