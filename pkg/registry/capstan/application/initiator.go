package application

import (
	"context"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"capstan.dev/capstan/pkg/apis/capstan"
)

// OperationChanged tells whether after is a new operation compared with
// before: set now and not before, or different in more than who initiated it.
func OperationChanged(before, after *capstan.Operation) bool {
	if after == nil {
		return false
	}
	if before == nil {
		return true
	}
	a, b := *after.DeepCopy(), *before.DeepCopy()
	a.InitiatedBy, b.InitiatedBy = capstan.OperationInitiator{}, capstan.OperationInitiator{}
	return !apiequality.Semantic.DeepEqual(a, b)
}

// setInitiator records who wrote a new operation, from the request's user:
// initiatedBy in a request body is never trusted, so a user can neither
// pretend to be someone else nor pass a manual sync off as an automated one.
// Only the in-process controllers (the loopback user) write automated
// operations. An operation that did not change keeps its initiator.
func setInitiator(ctx context.Context, before *capstan.Operation, app *capstan.Application) {
	if app.Operation == nil {
		return
	}
	if !OperationChanged(before, app.Operation) {
		app.Operation.InitiatedBy = before.InitiatedBy
		return
	}
	requester, ok := genericapirequest.UserFrom(ctx)
	if ok && requester.GetName() == user.APIServerUser {
		return
	}
	app.Operation.InitiatedBy = capstan.OperationInitiator{}
	if ok {
		app.Operation.InitiatedBy.Username = requester.GetName()
	}
}
