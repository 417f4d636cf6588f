package health

import (
	"testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestServiceAndIngressHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{
			name:    "a ClusterIP Service is healthy",
			fixture: "service/cluster-ip.yaml",
			status:  v1alpha1.HealthStatusHealthy,
		},
		{
			name:    "a LoadBalancer Service without ingress is progressing",
			fixture: "service/load-balancer-pending.yaml",
			status:  v1alpha1.HealthStatusProgressing,
		},
		{
			name:    "a LoadBalancer Service with an ingress point is healthy",
			fixture: "service/load-balancer-ready.yaml",
			status:  v1alpha1.HealthStatusHealthy,
		},
		{
			name:    "an Ingress with an ingress point is healthy",
			fixture: "ingress/ready.yaml",
			status:  v1alpha1.HealthStatusHealthy,
		},
		{
			name:    "an Ingress without ingress point is progressing",
			fixture: "ingress/pending.yaml",
			status:  v1alpha1.HealthStatusProgressing,
		},
		{
			name:    "an extensions Ingress without status is progressing",
			fixture: "ingress/extensions-pending.yaml",
			status:  v1alpha1.HealthStatusProgressing,
		},
	})
}

func TestAPIServiceHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{
			name:    "an available APIService is healthy",
			fixture: "apiservice/available.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "Passed: all checks passed",
		},
		{
			name:    "an unavailable APIService is progressing with the reason",
			fixture: "apiservice/unavailable.yaml",
			status:  v1alpha1.HealthStatusProgressing,
			message: `MissingEndpoints: endpoints for service/capstan in "capstan" have no addresses with port name "https"`,
		},
		{
			name:    "an APIService without conditions is waiting to be processed",
			fixture: "apiservice/v1beta1-not-processed.yaml",
			status:  v1alpha1.HealthStatusProgressing, message: "Waiting to be processed",
		},
	})
}

func TestPersistentVolumeClaimHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{name: "a bound claim is healthy", fixture: "pvc/bound.yaml", status: v1alpha1.HealthStatusHealthy},
		{name: "a pending claim is progressing", fixture: "pvc/pending.yaml", status: v1alpha1.HealthStatusProgressing},
		{name: "a lost claim is degraded", fixture: "pvc/lost.yaml", status: v1alpha1.HealthStatusDegraded},
		{name: "a claim in another phase is unknown", fixture: "pvc/unknown.yaml", status: v1alpha1.HealthStatusUnknown},
	})
}

func TestHorizontalPodAutoscalerHealth(t *testing.T) {
	runFixtures(t, &Checker{}, []fixtureCase{
		{
			name:    "an autoscaler that cannot get its target's scale is degraded",
			fixture: "hpa/v2-degraded.yaml",
			status:  v1alpha1.HealthStatusDegraded, message: `deployments/scale.apps "web" not found`,
		},
		{
			name:    "the first deciding condition wins: able to scale before a failing metric is healthy",
			fixture: "hpa/v2-degraded-after-healthy-condition.yaml",
			status:  v1alpha1.HealthStatusHealthy,
			message: "the HPA controller was able to get the target's current scale",
		},
		{
			name:    "an autoscaler able to scale is healthy",
			fixture: "hpa/v2-healthy.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "recommended size matches current size",
		},
		{
			name:    "an autoscaler limited by its bounds is healthy",
			fixture: "hpa/v2-scaling-limited.yaml",
			status:  v1alpha1.HealthStatusHealthy,
			message: "the desired replica count is more than the maximum replica count",
		},
		{
			name:    "an autoscaler without conditions is waiting to autoscale",
			fixture: "hpa/v2-progressing.yaml",
			status:  v1alpha1.HealthStatusProgressing, message: "Waiting to Autoscale",
		},
		{
			name:    "an autoscaling/v1 autoscaler failing on metrics is degraded",
			fixture: "hpa/v1-degraded.yaml",
			status:  v1alpha1.HealthStatusDegraded,
			message: "the HPA was unable to compute the replica count: missing request for cpu",
		},
		{
			name:    "an autoscaling/v1 autoscaler able to scale is healthy",
			fixture: "hpa/v1-healthy.yaml",
			status:  v1alpha1.HealthStatusHealthy, message: "recommended size matches current size",
		},
		{
			name:    "an autoscaling/v1 autoscaler without the conditions annotation is waiting to autoscale",
			fixture: "hpa/v1-without-conditions.yaml",
			status:  v1alpha1.HealthStatusProgressing, message: "Waiting to Autoscale",
		},
		{
			name:    "an autoscaling/v1 autoscaler with malformed conditions is unknown",
			fixture: "hpa/v1-malformed-conditions.yaml",
			status:  v1alpha1.HealthStatusUnknown,
			message: "read HorizontalPodAutoscaler: annotation autoscaling.alpha.kubernetes.io/conditions: " +
				"invalid character 'o' in literal null (expecting 'u')",
			wantErr: true,
		},
	})
}
