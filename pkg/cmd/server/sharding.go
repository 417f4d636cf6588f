package server

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"capstan.dev/capstan/pkg/engine"
	"capstan.dev/capstan/pkg/sharding"
)

// ShardingOptions spread the Applications over the replicas of
// capstan-apiserver that share one etcd (--etcd-servers).
type ShardingOptions struct {
	// Enabled shards the Applications by replica Leases.
	Enabled bool
	// ReplicaName names this replica; default the host name (a StatefulSet's pod name).
	ReplicaName string
	// Namespace holds the replicas' Leases; default the namespace the server
	// runs in (POD_NAMESPACE), else capstan-system.
	Namespace string
	// Policy names the assignment policy.
	Policy string
	// LeaseDuration is how long a replica counts as live after its last renewal.
	LeaseDuration time.Duration
}

// NewShardingOptions returns the defaults: sharding off.
func NewShardingOptions() *ShardingOptions {
	namespace := os.Getenv("POD_NAMESPACE")
	if namespace == "" {
		namespace = "capstan-system"
	}
	return &ShardingOptions{Namespace: namespace, Policy: "rendezvous", LeaseDuration: 15 * time.Second}
}

// AddFlags registers the sharding flags.
func (o *ShardingOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Enabled, "sharding", o.Enabled,
		"Spread the Applications over every replica that runs with --sharding: each announces itself with a Lease "+
			"capstan-replica-<replica name> in --replica-namespace and compares, syncs and caches only the Applications "+
			"assigned to it; an operation is run by one replica and taken over from its last step when that replica's Lease expires. "+
			"Every replica serves the whole API. Replaces --leader-elect.")
	fs.StringVar(&o.ReplicaName, "replica-name", o.ReplicaName,
		"Name of this replica, unique among the replicas and the same across restarts (default: the host name, a StatefulSet pod's name).")
	fs.StringVar(&o.Namespace, "replica-namespace", o.Namespace,
		"Namespace of the replicas' Leases (default: $POD_NAMESPACE, else capstan-system).")
	fs.StringVar(&o.Policy, "shard-policy", o.Policy,
		"How Applications are assigned to the live replicas: "+strings.Join(sharding.PolicyNames(), " or ")+" hashing of their namespace and name.")
	fs.DurationVar(&o.LeaseDuration, "replica-lease-duration", o.LeaseDuration,
		"How long a replica counts as live after renewing its Lease (renewed every third of it): the longest a dead replica's Applications wait.")
}

// Validate checks the sharding options.
func (o *ShardingOptions) Validate(leaderElect bool) []error {
	if !o.Enabled {
		return nil
	}
	var errs []error
	if leaderElect {
		errs = append(errs, fmt.Errorf("--sharding: cannot be combined with --leader-elect (every sharded replica works)"))
	}
	if _, err := sharding.PolicyByName(o.Policy); err != nil {
		errs = append(errs, fmt.Errorf("--shard-policy: %w", err))
	}
	if o.LeaseDuration < 3*time.Second {
		errs = append(errs, fmt.Errorf("--replica-lease-duration: %s is shorter than 3s", o.LeaseDuration))
	}
	if o.Namespace == "" {
		errs = append(errs, fmt.Errorf("--replica-namespace: must be set with --sharding"))
	}
	return errs
}

// config translates the options into the engine's configuration; the replica
// name defaults to the host name.
func (o *ShardingOptions) config() engine.ShardingConfig {
	identity := o.ReplicaName
	if identity == "" {
		identity, _ = os.Hostname()
	}
	return engine.ShardingConfig{
		Enabled: o.Enabled, Namespace: o.Namespace, Identity: identity,
		Policy: o.Policy, LeaseDuration: o.LeaseDuration,
	}
}
