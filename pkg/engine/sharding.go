package engine

import (
	"context"
	"time"

	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	"capstan.dev/capstan/pkg/sharding"
)

// ShardingConfig spreads the Applications over the replicas that share one
// etcd (pkg/sharding); disabled, this replica works on every Application.
type ShardingConfig struct {
	// Enabled shards the Applications.
	Enabled bool
	// Namespace holds the replicas' Leases: the namespace the server runs in.
	Namespace string
	// Identity names this replica, unique and stable across restarts.
	Identity string
	// Policy names the assignment policy (sharding.Policies).
	Policy string
	// LeaseDuration is how long a replica counts as live after its last renewal.
	LeaseDuration time.Duration
}

// startSharding announces this replica and waits until it knows the others;
// it limits the managed-object caches to the replica's shard and lists them
// again when the shard changes. Nil when sharding is disabled.
func (e *Engine) startSharding(ctx context.Context, client clientset.Interface) (*sharding.Applications, error) {
	config := e.config.Sharding
	if !config.Enabled {
		return nil, nil
	}
	policy, err := sharding.PolicyByName(config.Policy)
	if err != nil {
		return nil, err
	}
	sharding.RegisterMetrics()
	sharder, err := sharding.New(sharding.Config{
		Client: e.Kube, Namespace: config.Namespace, Identity: config.Identity,
		Policy: policy, LeaseDuration: config.LeaseDuration,
	})
	if err != nil {
		return nil, err
	}
	go sharder.Run(ctx)
	if err := sharder.WaitReady(ctx); err != nil {
		return nil, err
	}
	e.Clusters.ShardBy(sharder.OwnsInstance)
	sharder.AddHandler(e.Clusters.ResetCaches)
	return &sharding.Applications{Sharder: sharder, Client: client}, nil
}

// followShard has the controllers and the owner annotations follow the
// shard's changes, and publishes the replica's share.
func followShard(ctx context.Context, shard *sharding.Applications, informer cache.SharedIndexInformer, ownershipChanged ...func()) {
	for _, handler := range ownershipChanged {
		shard.AddHandler(handler)
	}
	go func() {
		if err := shard.RecordOwners(ctx, informer); err != nil {
			klog.FromContext(ctx).Error(err, "The Applications' owners are not recorded")
		}
	}()
	go shard.ReportShare(ctx, func() []string {
		var keys []string
		for _, obj := range informer.GetStore().List() {
			if app, ok := obj.(*v1alpha1.Application); ok {
				keys = append(keys, sharding.KeyOf(app.Namespace, app.Name))
			}
		}
		return keys
	})
}
