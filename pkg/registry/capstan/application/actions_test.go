package application_test

import (
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
)

func TestPostingAnActionRunsItOnTheApplication(t *testing.T) {
	engine := &recordingEngine{}
	storage := newStorageWithEngine(t, engine)
	if _, err := storage.Application.Create(requestContext(), validApplication("guestbook"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	restart := func() *capstan.ApplicationActionRequest {
		return &capstan.ApplicationActionRequest{
			Resource: capstan.ActionResourceRef{Group: "apps", Kind: "Deployment", Namespace: "guestbook", Name: "web"},
			Action:   "restart",
		}
	}
	t.Run("the engine runs it and the answer says what happened", func(t *testing.T) {
		out, err := storage.Actions.Create(requestContext(), "guestbook", restart(), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := out.(*capstan.ApplicationActionRequest).Status.Message; got != "action restart ran" {
			t.Errorf("status.message = %q", got)
		}
		if engine.compared.Name != "guestbook" {
			t.Errorf("the engine got %s", engine.compared.Name)
		}
	})
	tests := []struct {
		name   string
		change func(*capstan.ApplicationActionRequest)
		opts   metav1.CreateOptions
		want   func(error) bool
	}{
		{name: "no action is 422", change: func(r *capstan.ApplicationActionRequest) { r.Action = "" }, want: apierrors.IsInvalid},
		{name: "no resource name is 422", change: func(r *capstan.ApplicationActionRequest) { r.Resource.Name = "" }, want: apierrors.IsInvalid},
		{name: "an unknown action is 400", change: func(r *capstan.ApplicationActionRequest) { r.Action = "unknown" }, want: apierrors.IsBadRequest},
		{name: "a resource of no Application's is 404", change: func(r *capstan.ApplicationActionRequest) { r.Resource.Name = "stranger" }, want: apierrors.IsNotFound},
		{name: "a dry run is refused", opts: metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}, want: apierrors.IsBadRequest},
		{name: "a body naming another Application is 400", change: func(r *capstan.ApplicationActionRequest) { r.Name = "other" }, want: apierrors.IsBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := restart()
			if tt.change != nil {
				tt.change(req)
			}
			_, err := storage.Actions.Create(requestContext(), "guestbook", req, rest.ValidateAllObjectFunc, &tt.opts)
			if !tt.want(err) {
				t.Errorf("got %v", err)
			}
		})
	}
	t.Run("an Application that does not exist is 404", func(t *testing.T) {
		_, err := storage.Actions.Create(requestContext(), "absent", restart(), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("got %v", err)
		}
	})
}
