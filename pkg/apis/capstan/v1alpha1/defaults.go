package v1alpha1

import "time"

// Argo CD stores Applications and AppProjects as written: almost every default is
// applied when a field is read, not written into the object. These constants are
// those read-time defaults; readers of the API use them instead of defaulting the
// stored object, so that objects round-trip unchanged between Capstan and Argo CD.
const (
	// RevisionHistoryLimit is the number of status.history entries kept when
	// spec.revisionHistoryLimit is unset.
	RevisionHistoryLimit = 10

	// DefaultSyncRetryDuration is the first wait between sync retries when
	// retry.backoff.duration is unset.
	DefaultSyncRetryDuration = 5 * time.Second
	// DefaultSyncRetryMaxDuration caps the wait between sync retries when
	// retry.backoff.maxDuration is unset.
	DefaultSyncRetryMaxDuration = 3 * time.Minute
	// DefaultSyncRetryFactor multiplies the wait after each retry when
	// retry.backoff.factor is unset.
	DefaultSyncRetryFactor = int64(2)
	// DefaultAutomatedSyncRetryLimit is the retry limit of automated syncs of an
	// Application that has no syncPolicy.retry.
	DefaultAutomatedSyncRetryLimit = int64(5)

	// DefaultAppProjectName is the project that always exists and permits everything.
	DefaultAppProjectName = "default"
	// DefaultSyncWindowTimeZone is the time zone of a sync window schedule that
	// names none.
	DefaultSyncWindowTimeZone = "UTC"

	// KubernetesInternalAPIServerAddr is the destination server of the cluster
	// Capstan runs in.
	KubernetesInternalAPIServerAddr = "https://kubernetes.default.svc"
	// KubernetesInClusterName is the destination name of the cluster Capstan runs in.
	KubernetesInClusterName = "in-cluster"

	// ResourcesFinalizerName on an Application makes its deletion delete the
	// resources it deployed, with foreground propagation.
	ResourcesFinalizerName = "resources-finalizer.argocd.argoproj.io"
	// ForegroundPropagationPolicyFinalizer is ResourcesFinalizerName with
	// explicit foreground propagation.
	ForegroundPropagationPolicyFinalizer = "resources-finalizer.argocd.argoproj.io/foreground"
	// BackgroundPropagationPolicyFinalizer is ResourcesFinalizerName with
	// background propagation.
	BackgroundPropagationPolicyFinalizer = "resources-finalizer.argocd.argoproj.io/background"
	// PreDeleteFinalizerName holds an Application's deletion until its PreDelete hooks ran.
	PreDeleteFinalizerName = "pre-delete-finalizer.argocd.argoproj.io"
	// PostDeleteFinalizerName holds an Application's deletion until its PostDelete hooks ran.
	PostDeleteFinalizerName = "post-delete-finalizer.argocd.argoproj.io"
)

// SetDefaults_SyncWindow sets an empty timeZone to UTC. Argo CD's API server
// writes this default whenever it validates a project, so projects created
// through its API (argocd proj windows add) store "UTC"; doing the same here
// keeps stored windows explicit. Nothing else in AppProject or Application is
// defaulted on write.
func SetDefaults_SyncWindow(window *SyncWindow) {
	if window.TimeZone == "" {
		window.TimeZone = DefaultSyncWindowTimeZone
	}
}
