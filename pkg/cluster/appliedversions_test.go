package cluster

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

func versioned(uid types.UID, resourceVersion string) *unstructured.Unstructured {
	obj := configMap("settings", "v", true)
	obj.SetUID(uid)
	obj.SetResourceVersion(resourceVersion)
	return obj
}

func TestACachedCopyIsTrustedOnlyFromTheVersionTheApplyReturned(t *testing.T) {
	objects := &ObjectCache{}
	if objects.NotOlderThanApplied(versioned("a", "100")) {
		t.Fatalf("a copy of an object this process never applied is trusted")
	}
	objects.Applied(configMapsResource, versioned("a", "100"), time.Time{})
	for _, test := range []struct {
		name string
		obj  *unstructured.Unstructured
		want bool
	}{
		{"the copy the apply returned", versioned("a", "100"), true},
		{"a later version of the same object", versioned("a", "1000"), true},
		{"a version from before the apply", versioned("a", "99"), false},
		{"another object of the same name", versioned("b", "200"), false},
		{"a resourceVersion that is not a number", versioned("a", "x1"), false},
	} {
		t.Run(test.name, func(t *testing.T) {
			if got := objects.NotOlderThanApplied(test.obj); got != test.want {
				t.Errorf("NotOlderThanApplied = %v, want %v", got, test.want)
			}
		})
	}
	t.Run("the watch seeing the object deleted forgets the apply", func(t *testing.T) {
		objects.watched(configMapsResource, versioned("a", "101"), true)
		if objects.NotOlderThanApplied(versioned("a", "1000")) {
			t.Errorf("a deleted object's copy is still trusted")
		}
	})
}
