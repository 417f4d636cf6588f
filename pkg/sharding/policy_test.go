package sharding

import (
	"fmt"
	"testing"
)

func TestPolicies(t *testing.T) {
	keys := make([]string, 3000)
	for i := range keys {
		keys[i] = fmt.Sprintf("team-%d_app-%d", i%17, i)
	}
	three := []string{"capstan-0", "capstan-1", "capstan-2"}
	for _, name := range PolicyNames() {
		policy, err := PolicyByName(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name+" gives every replica a share of the keys", func(t *testing.T) {
			counts := map[string]int{}
			for _, key := range keys {
				counts[policy.Owner(key, three)]++
			}
			for _, replica := range three {
				// An even share is 1000; hashing spreads within a third of it.
				if counts[replica] < 666 || counts[replica] > 1333 {
					t.Errorf("%s owns %d of %d keys: %v", replica, counts[replica], len(keys), counts)
				}
			}
		})
		t.Run(name+" does not depend on the order of the replicas", func(t *testing.T) {
			reversed := []string{"capstan-2", "capstan-1", "capstan-0"}
			for _, key := range keys {
				if a, b := policy.Owner(key, three), policy.Owner(key, reversed); a != b {
					t.Fatalf("%s: owner %s, with the replicas reversed %s", key, a, b)
				}
			}
		})
		t.Run(name+" moves only the keys of a replica that left", func(t *testing.T) {
			two := []string{"capstan-0", "capstan-2"}
			for _, key := range keys {
				before, after := policy.Owner(key, three), policy.Owner(key, two)
				if before != "capstan-1" && before != after {
					t.Fatalf("%s moved from %s to %s though %s is still live", key, before, after, before)
				}
				if after == "capstan-1" {
					t.Fatalf("%s is owned by the replica that left", key)
				}
			}
		})
		t.Run(name+" assigns nothing without replicas", func(t *testing.T) {
			if owner := policy.Owner("team_app", nil); owner != "" {
				t.Errorf("owner %q without replicas", owner)
			}
		})
	}
	t.Run("an unknown policy is refused, naming the known ones", func(t *testing.T) {
		if _, err := PolicyByName("modulo"); err == nil || err.Error() != `unknown shard policy "modulo" (known: consistent, rendezvous)` {
			t.Errorf("PolicyByName(modulo) = %v", err)
		}
	})
}
