package sync

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/cluster"
)

func TestArgoCDTrackingPatch(t *testing.T) {
	object := func(labels, annotations map[string]string) *unstructured.Unstructured {
		obj := &unstructured.Unstructured{}
		obj.SetAPIVersion("v1")
		obj.SetKind("ConfigMap")
		obj.SetNamespace("prod")
		obj.SetName("settings")
		obj.SetLabels(labels)
		obj.SetAnnotations(annotations)
		return obj
	}
	tracked := func(obj *unstructured.Unstructured) *unstructured.Unstructured {
		cluster.SetTracking(obj, "argocd", "guestbook")
		return obj
	}
	argoAnnotation := map[string]string{cluster.ArgoCDTrackingAnnotation: "guestbook:/ConfigMap:prod/settings"}
	tests := []struct {
		name    string
		target  *unstructured.Unstructured
		applied *unstructured.Unstructured
		want    string
	}{{
		name:    "an object without Argo CD's tracking needs no patch",
		target:  tracked(object(nil, nil)),
		applied: object(nil, nil),
	}, {
		name:    "Argo CD's annotation is tested and removed",
		target:  tracked(object(nil, nil)),
		applied: object(nil, argoAnnotation),
		want:    `[{"op":"test","path":"/metadata/annotations/argocd.argoproj.io~1tracking-id","value":"guestbook:/ConfigMap:prod/settings"},{"op":"remove","path":"/metadata/annotations/argocd.argoproj.io~1tracking-id"}]`,
	}, {
		name:    "the instance label naming the Application is removed",
		target:  tracked(object(nil, nil)),
		applied: object(map[string]string{ArgoCDInstanceLabel: "guestbook"}, nil),
		want:    `[{"op":"test","path":"/metadata/labels/app.kubernetes.io~1instance","value":"guestbook"},{"op":"remove","path":"/metadata/labels/app.kubernetes.io~1instance"}]`,
	}, {
		name:    "the instance label in Argo CD's namespaced form is removed",
		target:  tracked(object(nil, nil)),
		applied: object(map[string]string{ArgoCDInstanceLabel: "argocd_guestbook"}, nil),
		want:    `[{"op":"test","path":"/metadata/labels/app.kubernetes.io~1instance","value":"argocd_guestbook"},{"op":"remove","path":"/metadata/labels/app.kubernetes.io~1instance"}]`,
	}, {
		name:    "an instance label naming something else (a Helm release) stays",
		target:  tracked(object(nil, nil)),
		applied: object(map[string]string{ArgoCDInstanceLabel: "my-release"}, nil),
	}, {
		name:    "metadata the target sets itself stays",
		target:  tracked(object(map[string]string{ArgoCDInstanceLabel: "guestbook"}, argoAnnotation)),
		applied: object(map[string]string{ArgoCDInstanceLabel: "guestbook"}, argoAnnotation),
	}, {
		name:    "an untracked target (not applied for an Application) needs no patch",
		target:  object(nil, nil),
		applied: object(nil, argoAnnotation),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(argoCDTrackingPatch(tt.target, tt.applied)); got != tt.want {
				t.Errorf("patch:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
