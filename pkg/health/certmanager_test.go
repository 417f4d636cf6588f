package health

import "testing"

func TestCertManagerHealth(t *testing.T) {
	c := &Checker{}
	runKind(t, c, "cert-manager.io/v1", "Certificate", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for certificate"},
		{name: "issuing comes first", object: `status: {conditions: [{type: Ready, status: "True", message: valid}, {type: Issuing, status: "True", message: renewing}]}`,
			status: progressing, message: "renewing"},
		{name: "ready", object: `status: {conditions: [{type: Ready, status: "True", message: Certificate is up to date}]}`,
			status: healthy, message: "Certificate is up to date"},
		{name: "not ready", object: `status: {conditions: [{type: Ready, status: "False", message: Issuing failed}]}`,
			status: degraded, message: "Issuing failed"},
		{name: "ready unknown waits", object: `status: {conditions: [{type: Ready, status: Unknown}]}`,
			status: progressing, message: "Waiting for certificate"},
	})
	runKind(t, c, "cert-manager.io/v1", "CertificateRequest", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for certificate request"},
		{name: "denied", object: `status: {conditions: [{type: Ready, status: "False", reason: Pending}, {type: Denied, status: "True", message: "denied by policy"}]}`,
			status: degraded, message: "denied by policy"},
		{name: "invalid", object: `status: {conditions: [{type: InvalidRequest, status: "True", message: bad csr}]}`,
			status: degraded, message: "bad csr"},
		{name: "issued", object: `status: {conditions: [{type: Ready, status: "True", message: issued}]}`, status: healthy, message: "issued"},
		{name: "pending", object: `status: {conditions: [{type: Ready, status: "False", reason: Pending, message: waiting}]}`,
			status: progressing, message: "waiting"},
		{name: "failed", object: `status: {conditions: [{type: Ready, status: "False", reason: Failed, message: boom}]}`,
			status: degraded, message: "boom"},
	})
	for _, kind := range []struct{ kind, waiting string }{{"ClusterIssuer", "Initializing ClusterIssuer"}, {"Issuer", "Initializing issuer"}} {
		runKind(t, c, "cert-manager.io/v1", kind.kind, []objectCase{
			{name: "no status waits", object: `{}`, status: progressing, message: kind.waiting},
			{name: "ready", object: `status: {conditions: [{type: Ready, status: "True", message: registered}]}`, status: healthy, message: "registered"},
			{name: "not ready", object: `status: {conditions: [{type: Ready, status: "False", message: no account}]}`, status: degraded, message: "no account"},
		})
	}
	runKind(t, c, "acme.cert-manager.io/v1", "Order", []objectCase{
		{name: "no state waits", object: `status: {}`, status: progressing, message: "Waiting for order"},
		{name: "valid", object: `status: {state: valid}`, status: healthy, message: "Order is valid"},
		{name: "errored with a reason", object: `status: {state: errored, reason: "acme: 400"}`, status: degraded, message: "acme: 400"},
		{name: "expired without a reason", object: `status: {state: expired}`, status: degraded, message: "Order is expired"},
		{name: "pending ignores the reason", object: `status: {state: pending, reason: x}`, status: progressing, message: "Order is pending"},
	})
	runKind(t, c, "acme.cert-manager.io/v1", "Challenge", []objectCase{
		{name: "no state waits", object: `{}`, status: progressing, message: "Waiting for challenge"},
		{name: "valid", object: `status: {state: valid}`, status: healthy, message: "Challenge is valid"},
		{name: "invalid", object: `status: {state: invalid}`, status: degraded, message: "Challenge is invalid"},
		{name: "processing with a reason", object: `status: {state: processing, reason: waiting for DNS}`, status: progressing, message: "waiting for DNS"},
		{name: "pending", object: `status: {state: pending}`, status: progressing, message: "Challenge is pending"},
	})
}
