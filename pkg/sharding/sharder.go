// Package sharding spreads Applications over the replicas of capstan-apiserver
// that share one etcd. Each replica announces itself with a Lease of its own
// in the namespace the server runs in and renews it; every replica watches
// those Leases and assigns each Application to one live replica with a
// Policy (rendezvous or consistent hashing of the Application's instance
// name), recomputed whenever a replica joins or its Lease expires. Nothing
// is sent from replica to replica: every replica computes the same
// assignment from the same Leases, and triggers reach the owner through the
// Application object itself.
//
// A running operation is claimed by exactly one replica (claim.go), which
// keeps it until it ends or its Lease expires; then the new owner takes it
// over from the persisted step.
package sharding

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/cluster"
)

// ReplicaLabel marks the Leases of replicas; its value is the replica's name.
const ReplicaLabel = "capstan.dev/replica"

// LeasePrefix prefixes the name of each replica's Lease.
const LeasePrefix = "capstan-replica-"

// Config configures a Sharder.
type Config struct {
	// Client reaches the Kubernetes API server that holds the Leases.
	Client kubernetes.Interface
	// Namespace holds the Leases: the namespace the server runs in.
	Namespace string
	// Identity names this replica; it must be unique among the replicas and
	// stable across restarts (a StatefulSet's pod name).
	Identity string
	// Policy assigns Applications to replicas; nil is Rendezvous.
	Policy Policy
	// LeaseDuration is how long a replica counts as live after its last
	// renewal; it renews every third of it.
	LeaseDuration time.Duration
}

// Sharder keeps this replica's Lease and the set of live replicas, and
// answers which replica owns a key.
type Sharder struct {
	config Config
	leases cache.SharedIndexInformer
	synced chan struct{}

	mu sync.Mutex
	// seen is what is known of every replica's Lease.
	seen map[string]observedLease
	// live is the sorted live replicas of the last recomputation.
	live []string
	// renewedAt is when this replica last renewed its own Lease.
	renewedAt time.Time
	handlers  []func()
}

// observedLease is one replica's Lease as this replica saw it: live until
// observedAt plus its duration, measured on this replica's clock.
type observedLease struct {
	renewTime  time.Time
	observedAt time.Time
	duration   time.Duration
}

// New returns a Sharder; Run starts it.
func New(config Config) (*Sharder, error) {
	if errs := validation.IsDNS1123Subdomain(LeasePrefix + config.Identity); len(errs) > 0 || config.Identity == "" {
		return nil, fmt.Errorf("replica name %q cannot name a Lease: %v", config.Identity, errs)
	}
	if errs := validation.IsValidLabelValue(config.Identity); len(errs) > 0 {
		return nil, fmt.Errorf("replica name %q cannot be a label value: %v", config.Identity, errs)
	}
	if config.Namespace == "" {
		return nil, fmt.Errorf("the replicas' Lease namespace is empty")
	}
	if config.LeaseDuration < 3*time.Second {
		return nil, fmt.Errorf("replica Lease duration %s is shorter than 3s", config.LeaseDuration)
	}
	if config.Policy == nil {
		config.Policy = Rendezvous{}
	}
	factory := informers.NewSharedInformerFactoryWithOptions(config.Client, 0,
		informers.WithNamespace(config.Namespace),
		informers.WithTweakListOptions(func(options *metav1.ListOptions) { options.LabelSelector = ReplicaLabel }))
	s := &Sharder{
		config: config,
		leases: factory.Coordination().V1().Leases().Informer(),
		synced: make(chan struct{}),
		seen:   map[string]observedLease{},
	}
	_, err := s.leases.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { s.observe(obj) },
		UpdateFunc: func(_, obj interface{}) { s.observe(obj) },
		DeleteFunc: s.forget,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Identity is this replica's name.
func (s *Sharder) Identity() string { return s.config.Identity }

// LeaseName is the name of this replica's Lease.
func (s *Sharder) LeaseName() string { return LeasePrefix + s.config.Identity }

// LeaseNamespace is the namespace of the replicas' Leases.
func (s *Sharder) LeaseNamespace() string { return s.config.Namespace }

// AddHandler adds a function called (without locks held) whenever the set of
// live replicas changes, and so the ownership of keys may have.
func (s *Sharder) AddHandler(handler func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers = append(s.handlers, handler)
}

// Run announces this replica, follows the others' Leases and recomputes the
// live set until ctx ends; then it deletes this replica's Lease, so that the
// others take its Applications over at once.
func (s *Sharder) Run(ctx context.Context) {
	logger := klog.FromContext(ctx).WithValues("replica", s.config.Identity)
	go s.leases.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), s.leases.HasSynced) {
		return
	}
	s.renew(ctx)
	s.recompute(ctx)
	close(s.synced)
	logger.Info("Sharding Applications over the live replicas", "replicas", s.Replicas(), "lease", s.config.Namespace+"/"+s.LeaseName())
	renew := time.NewTicker(s.config.LeaseDuration / 3)
	defer renew.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			s.release(logger)
			return
		case <-renew.C:
			s.renew(ctx)
		case <-tick.C:
			s.recompute(ctx)
		}
	}
}

// WaitReady waits until this replica has announced itself and knows the
// other replicas: before, it would own every key.
func (s *Sharder) WaitReady(ctx context.Context) error {
	select {
	case <-s.synced:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for the replicas' Leases: %w", ctx.Err())
	}
}

// Replicas returns the live replicas, sorted.
func (s *Sharder) Replicas() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.live)
}

// Owner returns the live replica that owns key, empty when there is none
// (this replica itself is not live: it cannot renew its Lease).
func (s *Sharder) Owner(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.config.Policy.Owner(key, s.live)
}

// Owns tells whether this replica owns key.
func (s *Sharder) Owns(key string) bool {
	return s.Owner(key) == s.config.Identity
}

// OwnsInstance tells whether this replica owns the Application whose
// InstanceLabel value is instanceLabel: its managed-object cache keeps only
// those objects.
func (s *Sharder) OwnsInstance(instanceLabel string) bool { return s.Owns(instanceLabel) }

// KeyOf is the key an Application is assigned by: its InstanceLabel value,
// which the managed objects carry too, so that objects and Applications are
// assigned alike.
func KeyOf(namespace, name string) string { return cluster.InstanceLabelValue(namespace, name) }

// Live tells whether replica's Lease is live now.
func (s *Sharder) Live(replica string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.live, replica)
}

// Holding tells whether this replica's own Lease is valid: it renewed it
// within the Lease duration. A replica that is not holding does no work.
func (s *Sharder) Holding() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.holding(time.Now())
}

func (s *Sharder) holding(now time.Time) bool {
	// A margin below the duration: the others must not see this replica
	// expire while it still acts.
	return !s.renewedAt.IsZero() && now.Sub(s.renewedAt) < s.config.LeaseDuration*4/5
}

func (s *Sharder) observe(obj interface{}) {
	lease, ok := obj.(*coordinationv1.Lease)
	if !ok {
		return
	}
	replica := lease.Labels[ReplicaLabel]
	if replica == "" || lease.Spec.RenewTime == nil || lease.Spec.LeaseDurationSeconds == nil {
		return
	}
	now := time.Now()
	renewTime := lease.Spec.RenewTime.Time
	s.mu.Lock()
	previous, known := s.seen[replica]
	observed := observedLease{renewTime: renewTime, observedAt: now, duration: time.Duration(*lease.Spec.LeaseDurationSeconds) * time.Second}
	switch {
	case known && previous.renewTime.Equal(renewTime):
		observed.observedAt = previous.observedAt
	case !known && renewTime.Before(now):
		// First seen: a Lease renewed long ago (a replica that died before
		// this one started) is expired already.
		observed.observedAt = renewTime
	}
	s.seen[replica] = observed
	s.mu.Unlock()
	s.recomputeAt(context.Background(), now)
}

func (s *Sharder) forget(obj interface{}) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	lease, ok := obj.(*coordinationv1.Lease)
	if !ok {
		return
	}
	s.mu.Lock()
	delete(s.seen, lease.Labels[ReplicaLabel])
	s.mu.Unlock()
	s.recomputeAt(context.Background(), time.Now())
}

func (s *Sharder) recompute(ctx context.Context) { s.recomputeAt(ctx, time.Now()) }

// recomputeAt works out the live replicas and tells the handlers when they
// changed.
func (s *Sharder) recomputeAt(ctx context.Context, now time.Time) {
	s.mu.Lock()
	var live []string
	for replica, lease := range s.seen {
		if replica == s.config.Identity {
			continue
		}
		if now.Before(lease.observedAt.Add(lease.duration)) {
			live = append(live, replica)
		}
	}
	if s.holding(now) {
		live = append(live, s.config.Identity)
	}
	sort.Strings(live)
	changed := !slices.Equal(live, s.live)
	previous := s.live
	s.live = live
	handlers := slices.Clone(s.handlers)
	s.mu.Unlock()
	if !changed {
		return
	}
	replicasGauge.Set(float64(len(live)))
	membershipChanges.Inc()
	klog.FromContext(ctx).Info("Live replicas changed", "replica", s.config.Identity, "replicas", live, "previous", previous)
	for _, handler := range handlers {
		handler()
	}
}
