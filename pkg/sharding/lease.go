package sharding

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// renewTimeout bounds one renewal, so that a hung request cannot keep the
// replica believing it holds its Lease.
const renewTimeout = 5 * time.Second

// renew creates or renews this replica's Lease. A failure is logged: the
// replica stops working once its Lease is older than the margin (Holding).
func (s *Sharder) renew(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, renewTimeout)
	defer cancel()
	started := time.Now()
	if err := s.writeLease(ctx, started); err != nil {
		klog.FromContext(ctx).Error(err, "Cannot renew the replica's Lease", "replica", s.config.Identity,
			"lease", s.config.Namespace+"/"+s.LeaseName())
		return
	}
	s.mu.Lock()
	// The time the renewal was sent, not when it returned: the others count
	// from a renewTime no later than that.
	s.renewedAt = started
	s.mu.Unlock()
}

func (s *Sharder) writeLease(ctx context.Context, now time.Time) error {
	leases := s.config.Client.CoordinationV1().Leases(s.config.Namespace)
	renewTime := metav1.NewMicroTime(now)
	seconds := int32(s.config.LeaseDuration / time.Second)
	lease, err := leases.Get(ctx, s.LeaseName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name: s.LeaseName(), Namespace: s.config.Namespace,
				Labels: map[string]string{ReplicaLabel: s.config.Identity},
			},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity: ptr.To(s.config.Identity), LeaseDurationSeconds: ptr.To(seconds),
				AcquireTime: &renewTime, RenewTime: &renewTime,
			},
		}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("create Lease %s/%s: %w", s.config.Namespace, s.LeaseName(), err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("get Lease %s/%s: %w", s.config.Namespace, s.LeaseName(), err)
	}
	lease = lease.DeepCopy()
	if lease.Labels == nil {
		lease.Labels = map[string]string{}
	}
	lease.Labels[ReplicaLabel] = s.config.Identity
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != s.config.Identity || lease.Spec.AcquireTime == nil {
		lease.Spec.AcquireTime = &renewTime
	}
	lease.Spec.HolderIdentity = ptr.To(s.config.Identity)
	lease.Spec.LeaseDurationSeconds = ptr.To(seconds)
	lease.Spec.RenewTime = &renewTime
	if _, err := leases.Update(ctx, lease, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("renew Lease %s/%s: %w", s.config.Namespace, s.LeaseName(), err)
	}
	return nil
}

// release deletes this replica's Lease when it stops, so that the others
// take its Applications over without waiting for the Lease to expire.
func (s *Sharder) release(logger klog.Logger) {
	s.mu.Lock()
	s.renewedAt = time.Time{}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), renewTimeout)
	defer cancel()
	err := s.config.Client.CoordinationV1().Leases(s.config.Namespace).Delete(ctx, s.LeaseName(), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		logger.Error(err, "Cannot release the replica's Lease; the others take over when it expires")
		return
	}
	logger.Info("Released the replica's Lease")
}
