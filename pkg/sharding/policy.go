package sharding

import (
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Policy assigns a key to one of the live replicas. Every replica computes
// the assignment on its own, so a Policy must be a pure function of the key
// and the set of replicas (in any order).
type Policy interface {
	// Owner returns the replica of replicas that owns key; empty when there
	// are no replicas.
	Owner(key string, replicas []string) string
}

// Policies are the policies --shard-policy can name.
var Policies = map[string]func() Policy{
	"rendezvous": func() Policy { return Rendezvous{} },
	"consistent": func() Policy { return NewConsistent(DefaultVirtualNodes) },
}

// PolicyNames lists the names of Policies, sorted.
func PolicyNames() []string {
	names := make([]string, 0, len(Policies))
	for name := range Policies {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// PolicyByName returns the policy called name.
func PolicyByName(name string) (Policy, error) {
	newPolicy, ok := Policies[name]
	if !ok {
		return nil, fmt.Errorf("unknown shard policy %q (known: %s)", name, strings.Join(PolicyNames(), ", "))
	}
	return newPolicy(), nil
}

// Rendezvous is highest-random-weight hashing: a key belongs to the replica
// whose hash with the key is highest. When a replica leaves, only its keys
// move, spread evenly over the others; when one joins, it takes an even
// share from every other.
type Rendezvous struct{}

// Owner implements Policy.
func (Rendezvous) Owner(key string, replicas []string) string {
	var owner string
	var best uint64
	for _, replica := range replicas {
		score := hash64(replica + "\x00" + key)
		if owner == "" || score > best || score == best && replica < owner {
			owner, best = replica, score
		}
	}
	return owner
}

// DefaultVirtualNodes is the number of points each replica has on the ring
// of the consistent policy.
const DefaultVirtualNodes = 128

// Consistent is consistent hashing on a ring where each replica has a number
// of virtual nodes: a key belongs to the first replica point at or after the
// key's hash. The ring of the last replica set is kept.
type Consistent struct {
	virtualNodes int
	ring         *ring
}

// ring is the sorted points of one set of replicas.
type ring struct {
	replicas []string
	points   []uint64
	owners   []string
}

// NewConsistent returns a consistent-hashing policy with virtualNodes points
// per replica.
func NewConsistent(virtualNodes int) *Consistent {
	return &Consistent{virtualNodes: max(virtualNodes, 1)}
}

// Owner implements Policy. It is not safe for concurrent use with different
// replica sets; the Sharder calls it under its lock.
func (c *Consistent) Owner(key string, replicas []string) string {
	if len(replicas) == 0 {
		return ""
	}
	r := c.ringOf(replicas)
	h := hash64(key)
	i := sort.Search(len(r.points), func(i int) bool { return r.points[i] >= h })
	if i == len(r.points) {
		i = 0
	}
	return r.owners[i]
}

func (c *Consistent) ringOf(replicas []string) *ring {
	sorted := slices.Clone(replicas)
	sort.Strings(sorted)
	if c.ring != nil && slices.Equal(c.ring.replicas, sorted) {
		return c.ring
	}
	type point struct {
		hash  uint64
		owner string
	}
	points := make([]point, 0, len(sorted)*c.virtualNodes)
	for _, replica := range sorted {
		for v := range c.virtualNodes {
			points = append(points, point{hash: hash64(replica + "#" + strconv.Itoa(v)), owner: replica})
		}
	}
	sort.Slice(points, func(i, j int) bool {
		if points[i].hash != points[j].hash {
			return points[i].hash < points[j].hash
		}
		return points[i].owner < points[j].owner
	})
	r := &ring{replicas: sorted, points: make([]uint64, len(points)), owners: make([]string, len(points))}
	for i, p := range points {
		r.points[i], r.owners[i] = p.hash, p.owner
	}
	c.ring = r
	return r
}

// hash64 is FNV-1a followed by a 64-bit finalizer (SplitMix64's), so that
// keys differing in one character spread over the whole range.
func hash64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
