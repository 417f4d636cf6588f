package sync

import (
	"context"
	"errors"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

// messageSkippedDryRun is the dry-run result of an object whose kind the
// cluster does not serve yet.
const messageSkippedDryRun = "dry run skipped: the cluster does not serve the kind yet"

// dryRun validates every task before anything is applied, and returns the
// tasks that failed, each with a SyncFailed result. When the operation itself
// is a dry run, every task also gets the result it would have had. Objects
// that exist are dry-run on the API server (dryRun=All); objects that do not
// yet are checked against the cluster's schemas on the client (when a
// Validator is given), as Argo CD's client-side dry run does, so that creating
// an Application's objects costs one request each, the apply.
//
// The server sees the cluster as it is, not as the sync will make it, so
// some failures are expected and let through: objects in a namespace the sync
// creates, kinds whose CRD the sync creates (SkipDryRun), and hooks that will
// be deleted and re-created (dry-run as a creation, where AlreadyExists is fine).
func (s *step) dryRun(ctx context.Context, tasks []*Task) []*Task {
	creates := s.createdNamespaces()
	s.forEach(tasks, func(task *Task) bool {
		if task.Prune {
			if s.plan.DryRun {
				status, message := s.prune(ctx, task, true)
				s.ledger.set(task, status, v1alpha1.OperationSucceeded, message)
			}
			return true
		}
		if task.SkipDryRun {
			s.recordDryRun(task, messageSkippedDryRun)
			return true
		}
		opts := s.applyOptions(task, true)
		if task.Hook && task.hasPolicy(BeforeHookCreation) && s.existing(ctx, task) != nil {
			opts.CreateOnly = true
		}
		if opts.Live == nil && !opts.CreateOnly && s.in.Validator != nil {
			if err := s.validate(task, opts); !errors.Is(err, cluster.ErrNoSchema) {
				if err != nil {
					s.ledger.set(task, v1alpha1.ResultCodeSyncFailed, v1alpha1.OperationFailed, err.Error())
					return false
				}
				s.recordDryRun(task, kubectlName(task.Target)+" "+VerbCreated+" (dry run)")
				return true
			}
		}
		applied, err := s.client.Apply(ctx, task.Target, opts)
		if err != nil && task.Options.Force && !opts.CreateOnly && cannotChangeInPlace(err) {
			// Force re-creates what cannot be changed: validate the creation.
			opts.CreateOnly = true
			applied, err = s.client.Apply(ctx, task.Target, opts)
		}
		switch {
		case err == nil:
			s.recordDryRun(task, kubectlName(task.Target)+" "+applied.Verb+" (dry run)")
			if !task.Hook && !opts.CreateOnly && opts.Live != nil && applied.Object != nil &&
				reflect.DeepEqual(applied.Object.Object, opts.Live.Object) {
				s.markUnchanged(task.key)
			}
		case opts.CreateOnly && apierrors.IsAlreadyExists(err):
			s.recordDryRun(task, kubectlName(task.Target)+" "+VerbCreated+" (dry run)")
		case inCreatedNamespace(err, task, creates):
			s.recordDryRun(task, kubectlName(task.Target)+" "+VerbCreated+" (dry run, namespace created by the sync)")
		default:
			s.ledger.set(task, v1alpha1.ResultCodeSyncFailed, v1alpha1.OperationFailed, err.Error())
			return false
		}
		return true
	})
	var failed []*Task
	for _, task := range tasks {
		if s.ledger.status(task) == v1alpha1.ResultCodeSyncFailed {
			failed = append(failed, task)
		}
	}
	return failed
}

// validate checks an object that does not exist yet against its schema on the
// client; Validate=false skips the check, as the server would.
func (s *step) validate(task *Task, opts ApplyOptions) error {
	if !opts.Validate {
		return nil
	}
	return s.in.Validator.Validate(task.Target)
}

// recordDryRun records a dry run's result when the operation is a dry run;
// SyncFail hooks are validated but would not run, so they get none.
func (s *step) recordDryRun(task *Task, message string) {
	if s.plan.DryRun && task.Phase != v1alpha1.SyncPhaseSyncFail {
		s.ledger.set(task, v1alpha1.ResultCodeSynced, v1alpha1.OperationSucceeded, message)
	}
}

// createdNamespaces are the namespaces the plan creates.
func (s *step) createdNamespaces() map[string]bool {
	creates := map[string]bool{}
	for _, task := range s.all {
		if task.Target == nil {
			continue
		}
		if name, ok := namespaceProvided(task.Target); ok && task.Live == nil {
			creates[name] = true
		}
	}
	return creates
}

// inCreatedNamespace reports whether err is the API server's "namespace not
// found" for an object in a namespace the sync creates.
func inCreatedNamespace(err error, task *Task, creates map[string]bool) bool {
	if !apierrors.IsNotFound(err) || !creates[task.key.Namespace] {
		return false
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	details := status.Status().Details
	return details != nil && details.Kind == "namespaces" && details.Name == task.key.Namespace
}

// markUnchanged records that applying key's target changes nothing: the dry
// run returned the live object as it is, resourceVersion, managedFields and
// all.
func (s *step) markUnchanged(key cluster.ResourceKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unchanged == nil {
		s.unchanged = map[cluster.ResourceKey]bool{}
	}
	s.unchanged[key] = true
}

// changes tells whether applying task may change its object: false only when
// this step's dry run found that it changes nothing.
func (s *step) changes(task *Task) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.unchanged[task.key]
}
