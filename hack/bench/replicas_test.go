package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCountAppliesCountsEachWriteOfCapstanOncePerObject(t *testing.T) {
	at := func(s int) string { return time.Date(2026, 1, 1, 0, 0, s, 0, time.UTC).Format(time.RFC3339Nano) }
	event := func(id, user, verb, uri, resource, namespace, name, subresource string, second int) string {
		return `{"auditID":"` + id + `","stage":"ResponseComplete","verb":"` + verb + `","requestURI":"` + uri +
			`","requestReceivedTimestamp":"` + at(second) + `","user":{"username":"` + user +
			`"},"objectRef":{"resource":"` + resource + `","namespace":"` + namespace + `","name":"` + name +
			`","subresource":"` + subresource + `"}}`
	}
	lines := []string{
		event("1", capstanUser, "patch", "/api/v1/namespaces/bench-a/configmaps/c", "configmaps", "bench-a", "c", "", 10),
		// The same request logged at another stage counts once.
		event("1", capstanUser, "patch", "/api/v1/namespaces/bench-a/configmaps/c", "configmaps", "bench-a", "c", "", 10),
		event("2", capstanUser, "patch", "/api/v1/namespaces/bench-a/configmaps/c", "configmaps", "bench-a", "c", "", 11),
		event("3", capstanUser, "patch", "/apis/apps/v1/namespaces/bench-a/deployments/d?dryRun=All", "deployments", "bench-a", "d", "", 11),
		event("4", capstanUser, "patch", "/apis/apps/v1/namespaces/bench-a/deployments/d", "deployments", "bench-a", "d", "", 12),
		event("5", capstanUser, "patch", "/api/v1/namespaces/bench-a", "namespaces", "", "bench-a", "", 12),
		event("6", capstanUser, "get", "/api/v1/namespaces/bench-a/configmaps/c", "configmaps", "bench-a", "c", "", 12),
		event("7", "admin", "patch", "/api/v1/namespaces/bench-a/configmaps/c", "configmaps", "bench-a", "c", "", 12),
		event("8", capstanUser, "patch", "/api/v1/namespaces/floor-a/configmaps/c", "configmaps", "floor-a", "c", "", 12),
		event("9", capstanUser, "update", "/apis/capstan.dev/v1alpha1/namespaces/bench-a/applications/a/status", "applications", "bench-a", "a", "status", 12),
		event("10", capstanUser, "patch", "/api/v1/namespaces/bench-a/configmaps/c", "configmaps", "bench-a", "c", "", 30),
	}
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC)
	counts, err := countApplies(path, from, from.Add(20*time.Second), "bench-")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"configmaps bench-a/c":  2,
		"deployments bench-a/d": 1,
		"namespaces /bench-a":   1,
	}
	if len(counts) != len(want) {
		t.Errorf("counted %v, want %v", counts, want)
	}
	for key, n := range want {
		if counts[key] != n {
			t.Errorf("%s applied %d times, want %d (all: %v)", key, counts[key], n, counts)
		}
	}
	if got := maxCount(counts); got != 2 {
		t.Errorf("max applies per object = %v, want 2", got)
	}
	if got := mean(counts); got != 4.0/3 {
		t.Errorf("mean applies per object = %v, want 4/3", got)
	}
}
