package cluster

import (
	"testing"
	"time"
)

// Trim forgets the versions applies returned and what has expired, and keeps
// what a lookup still uses.
func TestTrimKeepsOnlyWhatIsStillUsed(t *testing.T) {
	objects := &ObjectCache{}
	now := time.Now()
	old := ResourceKey{Kind: "ConfigMap", Namespace: "apps", Name: "old"}
	young := ResourceKey{Kind: "ConfigMap", Namespace: "apps", Name: "young"}
	objects.MarkAbsent(old, now.Add(-2*AbsentTTL))
	objects.MarkAbsent(young, now)
	objects.Applied(configMapsResource, versioned("a", "100"), time.Time{})
	if !objects.NotOlderThanApplied(versioned("a", "100")) {
		t.Fatal("the version an apply returned is not remembered")
	}

	objects.Trim()

	if objects.NotOlderThanApplied(versioned("a", "100")) {
		t.Error("the version an apply returned is still trusted after Trim; want a GET to confirm it")
	}
	if !objects.KnownAbsent(young, now) {
		t.Error("an object found absent just now is forgotten by Trim")
	}
	if len(objects.absent.entries) != 1 {
		t.Errorf("%d absent objects kept, want only the young one", len(objects.absent.entries))
	}
	if _, ok := objects.appliedObject(configMapsResource, "team-a", "settings"); !ok {
		t.Error("an object applied just now, not yet delivered by the watch, is forgotten by Trim")
	}
	// What was trimmed works as before.
	objects.Applied(configMapsResource, versioned("a", "200"), time.Time{})
	if !objects.NotOlderThanApplied(versioned("a", "200")) {
		t.Error("an apply after Trim is not remembered")
	}
	var none *ObjectCache
	none.Trim() // a destination without a cache
}
