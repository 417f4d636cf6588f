package cluster

import (
	"testing"
	"time"
)

func TestAbsentObjectsAreRememberedForAWhile(t *testing.T) {
	cache := &ObjectCache{}
	key := ResourceKey{Kind: "ConfigMap", Namespace: "apps", Name: "settings"}
	now := time.Now()
	if cache.KnownAbsent(key, now) {
		t.Fatal("an object never looked up is known absent")
	}
	cache.MarkAbsent(key, now)
	if !cache.KnownAbsent(key, now.Add(AbsentTTL/2)) {
		t.Error("an object found absent is not remembered within AbsentTTL")
	}
	if cache.KnownAbsent(key, now.Add(AbsentTTL)) {
		t.Error("an object found absent is still remembered after AbsentTTL")
	}
	cache.MarkAbsent(key, now)
	cache.ForgetAbsent(key)
	if cache.KnownAbsent(key, now) {
		t.Error("an object a sync applies is still known absent")
	}
}
