package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// certManagerChecks cover cert-manager's certificates, requests, issuers
// and ACME orders and challenges.
var certManagerChecks = mergeChecks(
	kinds("cert-manager.io", map[string]check{
		"Certificate": conditionRule{waiting: "Waiting for certificate", passes: [][]conditionCase{
			// Issuing first: a certificate being renewed is still Ready.
			{{Type: "Issuing", Status: conditionTrue, Health: v1alpha1.HealthStatusProgressing}},
			readyRule("").passes[0],
		}}.check,
		"CertificateRequest": conditionRule{waiting: "Waiting for certificate request", passes: [][]conditionCase{
			{
				{Type: "Denied", Status: conditionTrue, Health: v1alpha1.HealthStatusDegraded},
				{Type: "InvalidRequest", Status: conditionTrue, Health: v1alpha1.HealthStatusDegraded},
			},
			{
				{Type: "Ready", Status: conditionTrue, Health: v1alpha1.HealthStatusHealthy},
				{Type: "Ready", Reason: "Pending", Health: v1alpha1.HealthStatusProgressing},
				{Type: "Ready", Health: v1alpha1.HealthStatusDegraded},
			},
		}}.check,
		"ClusterIssuer": readyRule("Initializing ClusterIssuer").check,
		"Issuer":        readyRule("Initializing issuer").check,
	}),
	kinds("acme.cert-manager.io", map[string]check{
		"Challenge": acmeHealth("Challenge", true),
		"Order":     acmeHealth("Order", false),
	}),
)

// acmeHealth assesses an ACME Order or Challenge by status.state: valid is
// Healthy, invalid, expired or errored Degraded with the reason, anything
// else Progressing (with the reason when reasonWhileProgressing).
func acmeHealth(noun string, reasonWhileProgressing bool) check {
	return func(r *fieldReader, obj map[string]any) *v1alpha1.HealthStatus {
		state := r.str(obj, "status", "state")
		reason, hasReason := r.optionalString(obj, "status", "reason")
		withReason := func(status v1alpha1.HealthStatusCode) *v1alpha1.HealthStatus {
			if hasReason {
				return newHealth(status, reason)
			}
			return newHealth(status, noun+" is "+state)
		}
		switch state {
		case "":
			return newHealth(v1alpha1.HealthStatusProgressing, "Waiting for "+lowerFirst(noun))
		case "valid":
			return newHealth(v1alpha1.HealthStatusHealthy, noun+" is valid")
		case "invalid", "expired", "errored":
			return withReason(v1alpha1.HealthStatusDegraded)
		}
		if reasonWhileProgressing {
			return withReason(v1alpha1.HealthStatusProgressing)
		}
		return newHealth(v1alpha1.HealthStatusProgressing, noun+" is "+state)
	}
}

// lowerFirst lowers the first letter of an ASCII word.
func lowerFirst(word string) string {
	if word == "" || word[0] < 'A' || word[0] > 'Z' {
		return word
	}
	return string(word[0]+'a'-'A') + word[1:]
}
