package health

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// check assesses one object, reading it through r.
type check func(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus

// customResourceChecks are the built-in checks of custom resources, written
// after the rules of Argo CD's resource_customizations for the same kinds:
// the same statuses (Suspended included) and close messages. Where Argo CD's
// script would fail on a missing field, the field's default is assumed.
var customResourceChecks = mergeChecks(
	argoChecks, certManagerChecks, fluxChecks, strimziChecks, externalSecretsChecks,
	kruiseChecks, kedaChecks, cloudNativePGChecks, veleroChecks, olmChecks,
	gatewayAPIChecks, knativeChecks, kubevirtChecks, flinkChecks, sparkChecks,
	istioChecks, apiExtensionsChecks, clusterAPIChecks, moreChecks,
)

// groupSuffixChecks apply to every kind of the groups ending in a suffix,
// as Argo CD's "_.<suffix>/_" scripts do; an exact check wins.
var groupSuffixChecks = []struct {
	suffix string
	check  check
}{
	{".crossplane.io", crossplaneHealth},
	{".upbound.io", upboundHealth},
	{".cnrm.cloud.google.com", configConnectorHealth},
	{".services.k8s.aws", ackHealth},
}

// customResourceCheck returns the built-in check of a custom resource kind,
// or nil.
func customResourceCheck(gk schema.GroupKind) check {
	if c, ok := customResourceChecks[gk]; ok {
		return c
	}
	for _, wildcard := range groupSuffixChecks {
		if strings.HasSuffix(gk.Group, wildcard.suffix) {
			return wildcard.check
		}
	}
	return nil
}

func mergeChecks(sets ...map[schema.GroupKind]check) map[schema.GroupKind]check {
	out := map[schema.GroupKind]check{}
	for _, set := range sets {
		for gk, c := range set {
			out[gk] = c
		}
	}
	return out
}

// kinds builds a check table for kinds of one group.
func kinds(group string, checks map[string]check) map[schema.GroupKind]check {
	out := make(map[schema.GroupKind]check, len(checks))
	for kind, c := range checks {
		out[schema.GroupKind{Group: group, Kind: kind}] = c
	}
	return out
}
