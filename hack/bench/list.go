package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// listRepoURL is the repository the Applications of a list-only run name.
// capstan-apiserver runs without controllers then, so nothing fetches it.
const listRepoURL = "http://127.0.0.1:9/bench.git"

// runListOnly is `make bench-list`: it stores cfg.apps Applications as a
// cold sync leaves them (spec as runColdSync creates it, status of a synced
// and healthy app written through applications/status) with capstan-apiserver's
// controllers off, then runs the read scenario against as many ConfigMaps of
// the same size, and reports what holding them costs each server.
func runListOnly(ctx context.Context, env *environment, r *report) error {
	if err := env.applyNamespace(ctx, appNamespace); err != nil {
		return fmt.Errorf("namespace %s: %w", appNamespace, err)
	}
	if err := env.applyProject(ctx); err != nil {
		return fmt.Errorf("AppProject %s: %w", benchProject, err)
	}
	capstanPID, err := env.capstanPID()
	if err != nil {
		return fmt.Errorf("capstan-apiserver's PID: %w", err)
	}
	kubePID, err := env.pid("kube-apiserver")
	if err != nil {
		return fmt.Errorf("kube-apiserver's PID: %w", err)
	}
	metrics, err := newMetricsClient(env)
	if err != nil {
		return err
	}
	heapBefore, err := metrics.liveHeap(ctx)
	if err != nil {
		return err
	}
	capstanBefore, err := sampleProcess(capstanPID)
	if err != nil {
		return err
	}
	started := time.Now()
	now := metav1.NewTime(started.Truncate(time.Second))
	err = parallel(len(env.apps), env.cfg.workers, func(i int) error {
		a := env.apps[i]
		apps := env.capstan.CapstanV1alpha1().Applications(appNamespace)
		created, err := apps.Create(ctx, application(a, listRepoURL), metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			created, err = apps.Get(ctx, a.Name, metav1.GetOptions{})
		}
		if err != nil {
			return err
		}
		created.Status = syncedStatus(a, env.cfg.objects, created.Spec, now)
		_, err = apps.UpdateStatus(ctx, created, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("create Applications: %w", err)
	}
	logf("list: %d Applications created with a synced status in %s", len(env.apps), time.Since(started).Round(time.Millisecond))
	capstanAfter, err := sampleProcess(capstanPID)
	if err != nil {
		return err
	}
	profilePath := filepath.Join(env.cfg.outDir, "list-heap.pb.gz")
	profile, err := os.Create(profilePath)
	if err != nil {
		return err
	}
	heapAfter, err := metrics.liveHeapProfile(ctx, profile)
	if closeErr := profile.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return err
	}
	logf("list: capstan-apiserver's heap profile after a collection: %s (go tool pprof -sample_index=inuse_space)", profilePath)
	kubeBefore, err := sampleProcess(kubePID)
	if err != nil {
		return err
	}
	if err := runRead(ctx, env, r); err != nil {
		return err
	}
	kubeAfter, err := sampleProcess(kubePID)
	if err != nil {
		return err
	}
	r.add(figure{Scenario: "list", Name: fmt.Sprintf("capstan-apiserver RSS growth holding %d Applications", len(env.apps)), Unit: "MiB",
		Value:     float64(capstanAfter.AnonBytes-capstanBefore.AnonBytes) / mib,
		Floor:     float64(kubeAfter.AnonBytes-kubeBefore.AnonBytes) / mib,
		FloorNote: "kube-apiserver's, holding and listing as many ConfigMaps of the same size (anonymous RSS, both)"})
	r.add(figure{Scenario: "list", Name: "capstan-apiserver live heap growth per Application (after a collection)", Unit: "KiB",
		Value: (heapAfter - heapBefore) / 1024 / float64(len(env.apps)), FloorNote: noFloor})
	r.add(figure{Scenario: "list", Name: "capstan-apiserver RSS", Unit: "MiB",
		Value: float64(capstanAfter.RSSBytes) / mib, FloorNote: noFloor})
	r.add(figure{Scenario: "list", Name: "capstan-apiserver RSS, anonymous part (RssAnon: heap, stacks)", Unit: "MiB",
		Value: float64(capstanAfter.AnonBytes) / mib, FloorNote: noFloor})
	return nil
}

// syncedStatus is the status a cold sync leaves on a: every object Synced
// and Healthy, one successful sync operation and its history entry.
func syncedStatus(a app, objects int, spec v1alpha1.ApplicationSpec, now metav1.Time) v1alpha1.ApplicationStatus {
	revision := fmt.Sprintf("%040x", a.Index+1)
	var (
		resources []v1alpha1.ResourceStatus
		results   v1alpha1.ResourceResults
	)
	for _, obj := range a.objects(objects, 0, a.Namespace()) {
		gv, _ := schema.ParseGroupVersion(obj.GetAPIVersion())
		resources = append(resources, v1alpha1.ResourceStatus{
			Group: gv.Group, Version: gv.Version, Kind: obj.GetKind(), Namespace: a.Namespace(), Name: obj.GetName(),
			Status: v1alpha1.SyncStatusCodeSynced,
			Health: &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusHealthy, LastTransitionTime: &now},
		})
		results = append(results, &v1alpha1.ResourceResult{
			Group: gv.Group, Version: gv.Version, Kind: obj.GetKind(), Namespace: a.Namespace(), Name: obj.GetName(),
			Status: v1alpha1.ResultCodeSynced, SyncPhase: v1alpha1.SyncPhaseSync,
			Message: fmt.Sprintf("%s/%s serverside-applied", strings.ToLower(obj.GetKind()), obj.GetName()),
		})
	}
	source := *spec.Source
	initiator := v1alpha1.OperationInitiator{Username: "capstan-apiserver", Automated: true}
	return v1alpha1.ApplicationStatus{
		Resources: resources,
		Sync: v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revision: revision,
			ComparedTo: v1alpha1.ComparedTo{Source: source, Destination: spec.Destination}},
		Health:       v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusHealthy, LastTransitionTime: &now},
		History:      v1alpha1.RevisionHistories{{Revision: revision, DeployedAt: now, ID: 0, Source: source, DeployStartedAt: &now, InitiatedBy: initiator}},
		ReconciledAt: &now,
		OperationState: &v1alpha1.OperationState{
			Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: revision, Prune: true,
				SyncOptions: v1alpha1.SyncOptions{"CreateNamespace=true"}}, InitiatedBy: initiator,
				Retry: v1alpha1.RetryStrategy{Limit: 5}},
			Phase:      v1alpha1.OperationSucceeded,
			Message:    "successfully synced (all tasks run)",
			SyncResult: &v1alpha1.SyncOperationResult{Resources: results, Revision: revision, Source: source},
			StartedAt:  now, FinishedAt: &now,
		},
		SourceType: v1alpha1.ApplicationSourceTypeDirectory,
		Summary:    v1alpha1.ApplicationSummary{Images: []string{"registry.k8s.io/pause:3.10"}},
	}
}
