package health

import (
	"slices"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// fluxRule is the shape of Argo CD's checks of Flux objects: a suspended
// object is Suspended; otherwise the conditions are counted, and the object
// is Progressing when both Ready is still undecided and Reconciling is true,
// Healthy when enough success conditions are true, else Degraded. The
// message is Ready's reason.
type fluxRule struct {
	// suspendable objects have spec.suspend.
	suspendable bool
	// undecidedReady is the Ready status that counts as progress.
	undecidedReady string
	// reconcilingReasons, when set, are the only Reconciling reasons that count.
	reconcilingReasons []string
	// artifacts counts ArtifactInStorage as a success and appends the reason
	// of ArtifactOutdated to the message (the source kinds).
	artifacts bool
	// successTypes are further condition types that count as a success when true.
	successTypes []string
	// successes is how many successes make the object Healthy.
	successes int
}

func (rule fluxRule) check(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if rule.suspendable && r.boolean(obj, "spec", "suspend") {
		kind, _ := obj["kind"].(string)
		return newHealth(v1alpha1.HealthStatusSuspended, kind+" is suspended")
	}
	if _, ok := r.lookup(obj, "status", "conditions"); !ok {
		return newHealth(v1alpha1.HealthStatusProgressing, "Status unknown")
	}
	progressing, succeeded, message := 0, 0, ""
	for _, c := range r.conditions(obj) {
		switch {
		case c.Type == "Ready":
			if c.Status == conditionTrue {
				succeeded++
			} else if c.Status == rule.undecidedReady {
				progressing++
			}
			message = c.Reason
		case c.Type == "Reconciling" && c.Status == conditionTrue:
			if rule.reconcilingReasons == nil || slices.Contains(rule.reconcilingReasons, c.Reason) {
				progressing++
			}
		case rule.artifacts && c.Type == "ArtifactOutdated" && c.Status == conditionTrue:
			message += " " + c.Reason
		case rule.artifacts && c.Type == "ArtifactInStorage" && c.Status == conditionTrue:
			succeeded++
		case slices.Contains(rule.successTypes, c.Type) && c.Status == conditionTrue:
			succeeded++
		}
	}
	switch {
	case progressing == 2:
		return newHealth(v1alpha1.HealthStatusProgressing, message)
	case succeeded == rule.successes:
		return newHealth(v1alpha1.HealthStatusHealthy, message)
	}
	return newHealth(v1alpha1.HealthStatusDegraded, message)
}

var fluxSource = fluxRule{suspendable: true, undecidedReady: conditionUnknown, artifacts: true, successes: 2}

// fluxChecks cover Flux's sources, Kustomizations, HelmReleases, image
// automation and notification receivers.
var fluxChecks = mergeChecks(
	kinds("source.toolkit.fluxcd.io", map[string]check{
		"GitRepository":  fluxSource.check,
		"Bucket":         fluxSource.check,
		"HelmChart":      fluxSource.check,
		"OCIRepository":  fluxSource.check,
		"HelmRepository": helmRepositoryHealth,
	}),
	kinds("kustomize.toolkit.fluxcd.io", map[string]check{
		"Kustomization": fluxRule{suspendable: true, undecidedReady: conditionUnknown, successes: 1}.check,
	}),
	kinds("helm.toolkit.fluxcd.io", map[string]check{
		"HelmRelease": fluxRule{suspendable: true, undecidedReady: conditionUnknown, successTypes: []string{"Released", "TestSuccess"}, successes: 2}.check,
	}),
	kinds("image.toolkit.fluxcd.io", map[string]check{
		"ImageRepository": fluxRule{suspendable: true, undecidedReady: conditionFalse,
			reconcilingReasons: []string{"NewGeneration", "Scanning"}, successes: 1}.check,
		"ImagePolicy": fluxRule{undecidedReady: conditionFalse,
			reconcilingReasons: []string{"NewGeneration", "AccessingRepository", "ApplyingPolicy"}, successes: 1}.check,
		"ImageUpdateAutomation": fluxRule{suspendable: true, undecidedReady: conditionUnknown, successes: 1}.check,
	}),
	kinds("notification.toolkit.fluxcd.io", map[string]check{
		"Receiver": receiverHealth,
	}),
)

// helmRepositoryHealth is a Flux source, except that an OCI repository
// reports no status at all and is Healthy.
func helmRepositoryHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if !r.boolean(obj, "spec", "suspend") && r.str(obj, "spec", "type") == "oci" {
		return newHealth(v1alpha1.HealthStatusHealthy, "Helm repositories of type 'oci' do not contain any information in the status.")
	}
	return fluxSource.check(r, obj)
}

// receiverHealth is Healthy with Ready=True, Degraded otherwise once it has
// conditions.
func receiverHealth(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
	if _, ok := r.lookup(obj, "status", "conditions"); !ok {
		return newHealth(v1alpha1.HealthStatusProgressing, "Status unknown")
	}
	succeeded, message := 0, ""
	for _, c := range r.conditions(obj) {
		if c.Type == "Ready" {
			if c.Status == conditionTrue {
				succeeded++
			}
			message = c.Reason
		}
	}
	if succeeded == 1 {
		return newHealth(v1alpha1.HealthStatusHealthy, message)
	}
	return newHealth(v1alpha1.HealthStatusDegraded, message)
}
