package refresh

import (
	"reflect"
	"testing"
)

func TestFromAnnotations(t *testing.T) {
	sha := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name        string
		annotations map[string]string
		want        Request
	}{
		{"no annotation asks for nothing", nil, Request{}},
		{"a hard refresh bypasses every cache", map[string]string{Annotation: Hard}, Request{Requested: true, Hard: true}},
		{"a normal refresh by a person lists refs again", map[string]string{Annotation: Normal}, Request{Requested: true, Hard: true}},
		{"a normal refresh by a webhook carries its push",
			map[string]string{Annotation: Normal, PushAnnotation: "refs/heads/main@" + sha},
			Request{Requested: true, Push: &Push{Ref: "refs/heads/main", Commit: sha}}},
		{"a webhook push of a deleted ref has no commit",
			map[string]string{Annotation: Normal, PushAnnotation: "refs/heads/old@"},
			Request{Requested: true, Push: &Push{Ref: "refs/heads/old"}}},
		{"a hard refresh stays hard beside a push",
			map[string]string{Annotation: Hard, PushAnnotation: "refs/heads/main@" + sha}, Request{Requested: true, Hard: true}},
		{"a push without a refresh asks for nothing", map[string]string{PushAnnotation: "refs/heads/main@" + sha}, Request{}},
		{"a malformed push is ignored", map[string]string{Annotation: Normal, PushAnnotation: "main@xyz"}, Request{Requested: true, Hard: true}},
		{"a ref that climbs is ignored", map[string]string{Annotation: Normal, PushAnnotation: "refs/../x@" + sha}, Request{Requested: true, Hard: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromAnnotations(tt.annotations); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FromAnnotations = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPushStringParsesBack(t *testing.T) {
	push := Push{Ref: "refs/tags/v1.2.0", Commit: "0123456789abcdef0123456789abcdef01234567"}
	if got, ok := ParsePush(push.String()); !ok || got != push {
		t.Errorf("ParsePush(%q) = %+v, %v", push.String(), got, ok)
	}
}
