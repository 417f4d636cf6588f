package application

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/install"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
)

// FuzzSyncRequestBody decodes arbitrary bodies of POST applications/sync as
// the API server does, validates them and builds the operation for a
// single-source and a multi-source automated Application: nothing may panic,
// and an operation built from an accepted request never names its own
// initiator (the server sets it from the request's user).
func FuzzSyncRequestBody(f *testing.F) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	decoder := serializer.NewCodecFactory(scheme).UniversalDecoder(capstan.SchemeGroupVersion)
	for _, seed := range []string{
		`{}`,
		`{"apiVersion":"capstan.dev/v1alpha1","kind":"ApplicationSyncRequest","spec":{"revision":"v1","prune":true}}`,
		`{"kind":"ApplicationSyncRequest","apiVersion":"capstan.dev/v1alpha1","spec":{"revisions":["a","b","c"],"sourcePositions":[1,3,-1]}}`,
		`{"kind":"ApplicationSyncRequest","apiVersion":"capstan.dev/v1alpha1","spec":{"resources":[{"kind":"Secret","name":"x"}],"syncOptions":["Prune=false","ServerSideApply=yes"]}}`,
		`{"kind":"ApplicationSyncRequest","apiVersion":"capstan.dev/v1alpha1","spec":{"retry":{"limit":-5,"backoff":{"duration":"1x","factor":0,"maxDuration":"-1s"}}}}`,
		`{"kind":"ApplicationSyncRequest","apiVersion":"capstan.dev/v1alpha1","spec":{"strategy":{"apply":{"force":true},"hook":{}}}}`,
		`{"kind":"ApplicationSyncRequest","apiVersion":"capstan.dev/v1alpha1","spec":{"sourcePositions":[99999999999]}}`,
		`[`, `null`, `{"spec":null}`,
	} {
		f.Add([]byte(seed))
	}
	automated := &capstan.SyncPolicy{Automated: &capstan.SyncPolicyAutomated{}}
	apps := []*capstan.Application{
		{ObjectMeta: metav1.ObjectMeta{Name: "single"}, Spec: capstan.ApplicationSpec{
			Source: &capstan.ApplicationSource{RepoURL: "https://example.com/r.git", TargetRevision: "main"}, SyncPolicy: automated}},
		{ObjectMeta: metav1.ObjectMeta{Name: "multi"}, Spec: capstan.ApplicationSpec{
			Sources: []capstan.ApplicationSource{{RepoURL: "https://example.com/a.git"}, {RepoURL: "https://example.com/b.git"}}}},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		obj, _, err := decoder.Decode(body, nil, &capstan.ApplicationSyncRequest{})
		if err != nil {
			return
		}
		req, ok := obj.(*capstan.ApplicationSyncRequest)
		if !ok || len(validation.ValidateApplicationSyncRequest(req)) > 0 {
			return
		}
		for _, app := range apps {
			op, err := operationFor(app, req, "alice")
			if err != nil {
				continue
			}
			if op.InitiatedBy != (capstan.OperationInitiator{Username: "alice"}) {
				t.Fatalf("operation initiated by %+v, want alice", op.InitiatedBy)
			}
		}
	})
}
