package health

import "testing"

func TestGatewayAPIHealth(t *testing.T) {
	c := &Checker{}
	const gv = "gateway.networking.k8s.io/v1"
	runKind(t, c, gv, "Gateway", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for Gateway status"},
		{name: "refs not resolved", object: `status: {conditions: [{type: ResolvedRefs, status: "False", message: secret missing}]}`, status: degraded, message: "secret missing"},
		{name: "not accepted without message", object: `status: {conditions: [{type: Accepted, status: "False"}]}`, status: degraded, message: "Failed condition: Accepted"},
		{name: "being programmed", object: `status: {conditions: [{type: Accepted, status: "True"}, {type: Programmed, status: Unknown}]}`,
			status: progressing, message: "Gateway is still being programmed"},
		{name: "a listener with a bad certificate", object: `status: {conditions: [{type: Programmed, status: "True"}], listeners: [{name: https, conditions: [{type: ResolvedRefs, status: "False", message: bad cert}]}]}`,
			status: degraded, message: "Listener: bad cert"},
		{name: "a listener being programmed", object: `status: {listeners: [{name: http, conditions: [{type: Programmed, status: "False", message: pending}]}]}`,
			status: progressing, message: "Listener: pending"},
		{name: "programmed", object: `status: {conditions: [{type: Accepted, status: "True"}, {type: Programmed, status: "True"}]}`, status: healthy, message: "Gateway is healthy"},
		{name: "an empty status waits", object: `status: {addresses: []}`, status: progressing, message: "Waiting for Gateway status"},
	})
	runKind(t, c, gv, "GatewayClass", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for GatewayClass status"},
		{name: "accepted", object: `{metadata: {generation: 1}, status: {conditions: [{type: Accepted, status: "True", observedGeneration: 1}]}}`, status: healthy, message: "GatewayClass is accepted"},
		{name: "rejected", object: `status: {conditions: [{type: Accepted, status: "False", message: unsupported}]}`, status: degraded, message: "unsupported"},
		{name: "stale condition skipped", object: `{metadata: {generation: 2}, status: {conditions: [{type: Accepted, status: "True", observedGeneration: 1}]}}`,
			status: progressing, message: "Waiting for GatewayClass status"},
		{name: "pending", object: `status: {conditions: [{type: Accepted, status: Unknown, message: waiting for controller}]}`, status: progressing, message: "waiting for controller"},
	})
	for _, kind := range []string{"HTTPRoute", "GRPCRoute"} {
		runKind(t, c, gv, kind, []objectCase{
			{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for " + kind + " status"},
			{name: "accepted by a current parent", object: `{metadata: {generation: 2}, status: {parents: [{parentRef: {name: gw}, conditions: [{type: Accepted, status: "True", observedGeneration: 2}]}]}}`,
				status: healthy, message: kind + " is healthy"},
			{name: "backend not found", object: `{metadata: {generation: 2}, status: {parents: [{parentRef: {name: gw}, conditions: [{type: Accepted, status: "True", observedGeneration: 2}, {type: ResolvedRefs, status: "False", observedGeneration: 2, message: no service}]}]}}`,
				status: degraded, message: "Parent gw: no service"},
			{name: "being programmed", object: `{metadata: {generation: 1}, status: {parents: [{parentRef: {name: gw}, conditions: [{type: Programmed, status: "False", observedGeneration: 1}]}]}}`,
				status: progressing, message: "Parent gw: Route is still being programmed"},
			{name: "only stale parents", object: `{metadata: {generation: 3}, status: {parents: [{parentRef: {name: gw}, conditions: [{type: Accepted, status: "False", observedGeneration: 2}]}]}}`,
				status: progressing, message: "Waiting for " + kind + " status"},
		})
	}
	runKind(t, c, gv, "TLSRoute", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for TLSRoute status"},
		{name: "accepted and resolved", object: `status: {parents: [{parentRef: {name: gw}, conditions: [{type: Accepted, status: "True"}, {type: ResolvedRefs, status: "True"}]}]}`,
			status: healthy, message: "TLSRoute is healthy"},
		{name: "not accepted", object: `status: {parents: [{parentRef: {name: gw}, conditions: [{type: Accepted, status: "False", message: ""}]}]}`,
			status: degraded, message: "Parent gw: Failed condition: Accepted"},
		{name: "programming", object: `status: {parents: [{parentRef: {name: gw}, conditions: [{type: Accepted, status: "True"}, {type: Programmed, status: "False", message: pending}]}]}`,
			status: progressing, message: "Parent gw: pending"},
		{name: "accepted but refs unknown", object: `status: {parents: [{parentRef: {name: gw}, conditions: [{type: Accepted, status: "True"}]}]}`,
			status: progressing, message: "Parent gw: Waiting for TLSRoute conditions"},
		{name: "stale parent", object: `{metadata: {generation: 2}, status: {parents: [{parentRef: {name: gw}, conditions: [{type: Accepted, status: "False", observedGeneration: 1}]}]}}`,
			status: progressing, message: "Waiting for TLSRoute status"},
	})
	runKind(t, c, gv, "ListenerSet", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for ListenerSet status"},
		{name: "stale", object: `{metadata: {generation: 2}, status: {conditions: [{type: Accepted, status: "True", observedGeneration: 1}]}}`,
			status: progressing, message: "Waiting for ListenerSet status"},
		{name: "not accepted", object: `status: {conditions: [{type: Accepted, status: "False", message: no parent}]}`, status: degraded, message: "no parent"},
		{name: "programming", object: `status: {conditions: [{type: Programmed, status: "False", message: later}]}`, status: progressing, message: "later"},
		{name: "a conflicted listener", object: `status: {conditions: [{type: Accepted, status: "True"}], listeners: [{conditions: [{type: Conflicted, status: "True", message: port taken}]}]}`,
			status: degraded, message: "Listener: port taken"},
		{name: "a listener programming", object: `status: {conditions: [], listeners: [{conditions: [{type: Programmed, status: Unknown}]}]}`,
			status: progressing, message: "Listener: Listener is still being programmed"},
		{name: "healthy", object: `status: {conditions: [{type: Accepted, status: "True"}], listeners: [{conditions: [{type: Programmed, status: "True"}]}]}`,
			status: healthy, message: "ListenerSet is healthy"},
		{name: "no listeners waits", object: `status: {conditions: [{type: Accepted, status: "True"}]}`, status: progressing, message: "Waiting for ListenerSet status"},
	})
	runKind(t, c, "gateway.networking.k8s.io/v1alpha3", "BackendTLSPolicy", []objectCase{
		{name: "no status waits", object: `{}`, status: progressing, message: "Waiting for BackendTLSPolicy status"},
		{name: "an ancestor not updated yet", object: `{metadata: {generation: 2}, status: {ancestors: [{ancestorRef: {name: gw}, conditions: [{type: Accepted, status: "True", observedGeneration: 1}]}]}}`,
			status: progressing, message: "Waiting for Ancestor gw to update BackendTLSPolicy status"},
		{name: "accepted", object: `status: {ancestors: [{ancestorRef: {name: gw}, conditions: [{type: Accepted, status: "True"}, {type: ResolvedRefs, status: "True"}]}]}`,
			status: healthy, message: "BackendTLSPolicy is healthy"},
		{name: "refs not resolved", object: `status: {ancestors: [{ancestorRef: {name: gw}, conditions: [{type: Accepted, status: "True"}, {type: ResolvedRefs, status: "False", message: no CA}]}]}`,
			status: degraded, message: "Ancestor gw: no CA"},
		{name: "another controller's rejection is ignored", object: `status: {ancestors: [{ancestorRef: {name: other}, conditions: [{type: Accepted, status: "False", reason: TargetNotFound, message: not mine}]}, {ancestorRef: {name: gw}, conditions: [{type: Accepted, status: "True"}]}]}`,
			status: healthy, message: "BackendTLSPolicy is healthy"},
	})
}
